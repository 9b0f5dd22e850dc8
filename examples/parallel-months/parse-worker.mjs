// Piscina loads this file in each worker thread; a worker thread does not take
// node's --import, so the TypeScript task is loaded through tsx's API. With a
// built package, point piscina at the compiled task instead.
import { tsImport } from 'tsx/esm/api';

const { parseTask } = await tsImport('./parse-task.ts', import.meta.url);
export default parseTask;
