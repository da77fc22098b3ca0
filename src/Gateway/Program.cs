using Hourdini.Gateway;

var app = HourdiniGateway.Build(args);
await app.RunAsync();
