import { createServer } from "node:http";
const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => res.end("hello, world!"));
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
process.on("disconnect", () => process.exit(0));
