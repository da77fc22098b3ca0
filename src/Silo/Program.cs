using Hourdini.Silo;
using Microsoft.Extensions.Hosting;

// A silo of its own, for a cluster whose gateways run as Orleans clients (Hourdini:Orleans:Mode=client). The gateway
// co-hosts one by default, so a single node needs only the gateway.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddHourdiniData(builder.Configuration);
builder.UseOrleans(silo => silo.AddHourdiniSilo(builder.Configuration));
await builder.Build().RunAsync();
