// /whisk.system/utils/smash: nests every parameter under the property named by `$fieldName`.
function main(args) {
  const parent = args.$fieldName;
  if (typeof parent !== 'string') {
    return { error: "Expected an argument '$fieldName' of type 'string'." };
  }
  delete args.$fieldName;
  return { [parent]: args };
}
