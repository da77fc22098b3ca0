using System.Net;
using System.Text.Json;
using Hourdini.Testing;

namespace Hourdini.Mcp.Tests;

/// <summary>The everyday terminal commands of the real `hourdini` program against a real server.</summary>
public sealed class CliTests(HourdiniServer server) : IClassFixture<HourdiniServer>, IDisposable
{
    private readonly string config = Directory.CreateTempSubdirectory("hourdini-cli-").FullName;

    [Fact]
    public async Task Login_saves_the_server_and_token_for_the_other_commands()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);

        var refused = await Run("login", "--url", server.BaseAddress.ToString(), "--token", "hd_pat_live_forged00000000000000000000000");
        Assert.Equal(1, refused.Exit);
        Assert.Contains("unauthorized", refused.Err);
        Assert.False(File.Exists(ConfigFile));

        var login = await Run("login", "--url", server.BaseAddress.ToString(), "--token", human.Token());
        Assert.Equal(0, login.Exit);
        Assert.Contains("Logged in", login.Out);
        var saved = JsonDocument.Parse(await File.ReadAllTextAsync(ConfigFile)).RootElement;
        Assert.Equal(human.Token(), saved.Str("token"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigFile)); // the token is a secret
        }
    }

    [Fact]
    public async Task Timer_session_and_entries_commands_show_readable_tables_and_refusals_with_their_code()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella"), "Vaccine portal");
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", human.Token())).Exit);

        Assert.Contains("No timer is running", (await Run("timer", "status")).Out);
        var started = await Run("timer", "start", "vaccine", "-d", "Kickoff");
        Assert.True(started.Exit == 0, started.Err);
        Assert.Contains("Kickoff", started.Out);
        Assert.Contains("Kickoff", (await Run("timer", "status")).Out);
        var stopped = await Run("timer", "stop");
        Assert.Contains("timer", stopped.Out);
        Assert.Equal(1, (await Run("timer", "stop")).Exit);

        var session = await Run("--json", "session", "start", "portal", "-d", "Build the portal");
        Assert.True(session.Exit == 0, session.Err);
        var sessionId = JsonDocument.Parse(session.Out).RootElement.GetProperty("session").Str("id");
        var beat = await Run("session", "beat", sessionId, "idle");
        Assert.Contains("idle", beat.Out);
        Assert.Contains(sessionId, (await Run("session", "list", "--status", "open")).Out);

        var refused = await Run("timer", "start", "nothing-like-this");
        Assert.Equal(1, refused.Exit);
        Assert.Contains("(not_found)", refused.Err);
        Assert.NotEqual(0, (await Run("session", "beat", sessionId, "sideways")).Exit); // not one of active, agent, idle

        var ended = await Run("session", "end", sessionId);
        Assert.Contains("Session ended", ended.Out);
        Assert.Contains("stopped", (await Run("--json", "session", "list")).Out);

        var entries = await Run("--json", "entries", "--limit", "10");
        var listed = JsonDocument.Parse(entries.Out).RootElement.GetProperty("time_entries").EnumerateArray().ToList();
        Assert.Contains(listed, e => e.Str("source") == "timer" && e.Str("description") == "Kickoff");
        var table = await Run("entries");
        Assert.Contains("Kickoff", table.Out);
        Assert.Contains("Duration", table.Out);
        Assert.Equal(HttpStatusCode.OK, (await human.GetAsync("/api/v1/time-entries")).Status);
    }

    private string ConfigFile => Path.Combine(config, "hourdini", "config.json");

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(config, args);

    public void Dispose() => Directory.Delete(config, recursive: true);
}
