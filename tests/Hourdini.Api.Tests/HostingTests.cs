using System.Net;
using Hourdini.Silo;
using Hourdini.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hourdini.Api.Tests;

/// <summary>
/// Issue 23, hosting: a gateway co-hosts a silo by default, or with <c>Hourdini:Orleans:Mode=client</c> is an Orleans
/// client of a silo cluster it finds through the membership table in PostgreSQL; the API is the same either way.
/// </summary>
public sealed class HostingTests
{
    [Fact]
    public async Task A_gateway_that_is_an_orleans_client_serves_the_api_from_a_silo_of_its_own_process()
    {
        var database = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync();

        // The silo as src/Silo/Program.cs runs it.
        var siloBuilder = Host.CreateApplicationBuilder();
        siloBuilder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["HOURDINI_DATABASE"] = database });
        siloBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        siloBuilder.Services.AddHourdiniData(siloBuilder.Configuration);
        siloBuilder.UseOrleans(silo => silo.AddHourdiniSilo(siloBuilder.Configuration));
        using var silo = siloBuilder.Build();
        await silo.StartAsync();
        try
        {
            await using var gateway = await HourdiniServer.StartNodeAsync(database, new() { ["Hourdini:Orleans:Mode"] = "client" });
            var (pat, _, _) = await ApiClient.SignUpAsync(gateway.BaseAddress);
            var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Client mode");
            var session = (await pat.StartSessionAsync(project)).Str("id");
            Assert.Equal("idle", (await pat.BeatAsync(session, "idle")).CurrentBeat());
            (await pat.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK);
        }
        finally
        {
            await silo.StopAsync();
        }
    }

    [Fact]
    public async Task An_unknown_hosting_mode_stops_the_gateway_with_a_clear_message()
    {
        var database = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            HourdiniServer.StartNodeAsync(database, new() { ["Hourdini:Orleans:Mode"] = "both" }));
        Assert.Contains("cohosted", error.Message);
    }
}
