export { GRAMMARS, type Grammar, loadLanguage, runtimeVersion } from './load.js';
export { Language, Parser, Query, type Node, type QueryCapture, type QueryMatch, type Tree } from 'web-tree-sitter';
