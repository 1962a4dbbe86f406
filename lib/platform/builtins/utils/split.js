// /whisk.system/utils/split: splits `payload` at `separator` (default: line ends) into `lines`.
function main(params) {
  const separator = params.separator || /\r?\n/;
  const payload = params.payload.toString();
  const lines = payload.split(separator);
  const result = { lines, payload: params.payload };
  console.log(`split: returning ${JSON.stringify(result)}`);
  return result;
}
