/** F6: inline hints on action lines and findings in the Problems panel. */
export { register } from './inlineHints';
