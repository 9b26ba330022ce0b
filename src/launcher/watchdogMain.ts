/** Entry point of dist/watchdog.js (see watchdog.ts). */
import { processIo, watchdog } from './watchdog';

watchdog(process.argv.slice(2), processIo());
