// Typeset TeX to SVG with the pinned MathJax (tools/mathjax/node_modules/mathjax) at build time,
// so that the pages carry their math as SVG and no reader downloads MathJax (see _ext/poolbook.py).
// argv[2]: the mathjax package folder. stdin: JSON [[{tex, display}, ...], ...], one list per page.
// stdout: JSON [{formulas: [{html, error}], cache: "<svg ...><defs>...</defs></svg>"}, ...]:
// each page's glyphs are defined once in its `cache` svg and used by its formulas.
const path = require('path');
const mathjaxDir = path.resolve(process.argv[2]);
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const pages = JSON.parse(input);
  require(path.join(mathjaxDir, 'es5', 'node-main.js')).init({
    loader: {load: ['input/tex-base', '[tex]/ams', '[tex]/newcommand', '[tex]/noundefined', 'output/svg']},
    tex: {packages: ['base', 'ams', 'newcommand', 'noundefined']},
    svg: {fontCache: 'global'},
  }).then((MathJax) => {
    const adaptor = MathJax.startup.adaptor;
    const output = MathJax.startup.output;
    const result = pages.map((items) => {
      output.clearFontCache();
      const formulas = items.map(({tex, display}) => {
        const html = adaptor.outerHTML(MathJax.tex2svg(tex, {display}));
        const match = html.match(/data-mjx-error="([^"]*)"/);
        return {html, error: match ? match[1] : (html.includes('fill="red"') ? 'undefined control sequence' : null)};
      });
      const defs = adaptor.outerHTML(output.fontCache.getCache());
      const cache = '<svg id="MJX-SVG-global-cache" xmlns="http://www.w3.org/2000/svg" '
        + 'style="display: none" aria-hidden="true">' + defs + '</svg>';
      return {formulas, cache};
    });
    process.stdout.write(JSON.stringify(result));
  }).catch((err) => { console.error(err.message || err); process.exit(1); });
});
