/** Files webpack inlines as text into an action bundle (`import text from './file?source'`, webpack.config.js). */
declare module '*?source' {
  const text: string;
  export default text;
}
