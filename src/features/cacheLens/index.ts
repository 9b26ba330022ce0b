/** F4: the cache CodeLens and its hover, over every cache call of a Python file or notebook cell. */
export { register } from './cacheLens';
