import { openDatabase } from '../../store/open-database.js';
import { rematchVoters } from '../../store/voters/rematch-voters.js';
const handle = await openDatabase({ url: process.argv[2], pgliteDir: 'x', poolSize: 2 });
const r = await rematchVoters(handle.db, { thresholds: { high: 0.7, low: 0.3 } });
console.log(r.elapsedMs, r.contacts);
await handle.close();
