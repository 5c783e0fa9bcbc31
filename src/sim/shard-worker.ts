// The entry of a host shard's worker thread (see shard.ts): runs each replica simulation it is given and reports through its channel.
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { channelWriter } from './channel.js';
import { sendShardError, type ShardData, type ShardWorkerData } from './shard.js';
import { runHostShard } from './world.js';

const { port, wake } = workerData as ShardWorkerData;
for (;;) {
  // Asleep until a run is given (the main thread sets the word after posting the job).
  Atomics.wait(wake, 0, 0);
  Atomics.store(wake, 0, 0);
  let m = receiveMessageOnPort(port);
  // The job was posted before the word was set; should it not be readable yet, it will be shortly.
  for (let tries = 0; !m && tries < 1000; tries++) {
    Atomics.wait(wake, 0, 0, 1);
    m = receiveMessageOnPort(port);
  }
  if (m) {
    const job = m.message as ShardData;
    const out = channelWriter(job.buffer);
    try {
      runHostShard(job, out);
    } catch (e) {
      sendShardError(out, e);
    }
  }
}
