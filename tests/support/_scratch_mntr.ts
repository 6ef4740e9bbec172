import { fourLetterWord } from "./four_letter.ts";
import { startZooKeeper } from "./servers.ts";
const zk = await startZooKeeper();
for (const w of (process.argv[2] ?? "mntr").split(",")) console.log(await fourLetterWord({ host: zk.host, port: zk.port, word: w }));
await zk.stop();
