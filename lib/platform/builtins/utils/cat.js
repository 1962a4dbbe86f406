// /whisk.system/utils/cat: keeps `lines` and joins them with newlines into `payload`; other fields are dropped.
function main(params) {
  const lines = params.lines || [];
  const result = { lines, payload: lines.join('\n') };
  console.log(`cat: returning ${JSON.stringify(result)}`);
  return result;
}
