// /whisk.system/utils/echo: returns its parameters unchanged.
function main(params) {
  return params || {};
}
