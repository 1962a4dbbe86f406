// /whisk.system/utils/head: the first `num` (default 1) of `lines`.
function main(params) {
  const lines = params.lines || [];
  const num = params.num || 1;
  const head = lines.slice(0, num);
  console.log(`head get first ${num} lines of ${lines}: ${head}`);
  return { lines: head, num };
}
