import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as any).port;
console.log('port', port);
const a = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'a', reconnectPeriod: 0, protocolVersion: 4 });
await a.subscribeAsync('x/#', { qos: 1 });
a.on('message', (t, p) => console.log('got', t, p.toString()));
const b = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'b', reconnectPeriod: 0, will: { topic: 'x/will', payload: Buffer.from('gone'), qos: 1, retain: false } });
await b.publishAsync('x/1', 'hello', { qos: 1 });
b.stream.destroy();
await new Promise((r) => setTimeout(r, 300));
try { await mqtt.connectAsync(`mqtt://127.0.0.1:1`, { reconnectPeriod: 0, connectTimeout: 2000 }); } catch (e) { console.log('err', (e as any).code, (e as Error).message); }
try { await mqtt.connectAsync(`mqtt://10.255.255.1:1883`, { reconnectPeriod: 0, connectTimeout: 1500 }); } catch (e) { console.log('err2', (e as any).code, (e as Error).message); }
await a.endAsync();
await new Promise<void>((r) => broker.close(() => r()));
server.close();
