// Before the browser tests: the web built from the current sources (as npm start does).
import { ensureWebBuilt } from '../../src/web.ts';

export default async function setup(): Promise<void> {
  await ensureWebBuilt((message) => console.log(`test:e2e: ${message}`));
}
