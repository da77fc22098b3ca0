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
        Assert.Equal(3, refused.Exit); // refused credentials: exit 3, apart from other refusals (1)
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
    public async Task Login_that_cannot_write_its_config_directory_says_which_file_with_exit_5()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var notADirectory = Path.Combine(config, "a-file");
        await File.WriteAllTextAsync(notADirectory, ""); // XDG_CONFIG_HOME is a file: its hourdini directory cannot be made (even as root)

        var login = await Cli.RunAsync(notADirectory, ["login", "--url", server.BaseAddress.ToString(), "--with-token"], stdin: human.Token() + "\n");
        Assert.Equal(5, login.Exit);
        var line = Assert.Single(login.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error (local_file): Cannot save the login to {Path.Combine(notADirectory, "hourdini", "config.json")}: ", line);
        Assert.Contains("XDG_CONFIG_HOME", line);
    }

    [Fact]
    public async Task Timer_session_and_entries_commands_show_readable_tables_and_refusals_with_their_code()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella"), "Vaccine portal");
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", human.Token())).Exit);

        Assert.Contains("No timer is running", (await Run("timer", "status")).Err); // piped: a note, on stderr
        var started = await Run("timer", "start", "vaccine", "-d", "Kickoff");
        Assert.True(started.Exit == 0, started.Err);
        Assert.Contains("Kickoff", started.Out);
        Assert.Contains("Kickoff", (await Run("--format", "table", "timer", "status")).Out);
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
        Assert.Contains("Session ended", ended.Err);
        Assert.Contains("stopped", (await Run("--json", "session", "list")).Out);

        var entries = await Run("--json", "entries", "--limit", "10");
        var listed = JsonDocument.Parse(entries.Out).RootElement.GetProperty("time_entries").EnumerateArray().ToList();
        Assert.Contains(listed, e => e.Str("source") == "timer" && e.Str("description") == "Kickoff");
        var table = await Run("--format", "table", "entries");
        Assert.Contains("Kickoff", table.Out);
        Assert.Contains("Duration", table.Out);
        Assert.Equal(HttpStatusCode.OK, (await human.GetAsync("/api/v1/time-entries")).Status);
    }

    [Fact]
    public async Task Entries_correct_corrects_a_sessions_entry_and_explains_a_bad_duration() // R27
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella"), "Vaccine portal");
        var session = (await human.StartSessionAsync(project, "Portal")).Str("id");
        await Task.Delay(2200);
        var entry = (await human.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"].Str("id");
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", human.Token())).Exit);

        var corrected = await Run("entries", "correct", entry, "--duration", "0:00:01", "-d", "Portal, reviewed");
        Assert.True(corrected.Exit == 0, corrected.Err);
        Assert.Contains("Entry corrected", corrected.Err);
        Assert.Contains("Portal, reviewed", corrected.Out);
        var stored = (await human.GetAsync($"/api/v1/time-entries/{entry}")).Expect(HttpStatusCode.OK)["time_entry"];
        Assert.Equal(1, stored.Long("duration_seconds"));
        Assert.NotEqual(JsonValueKind.Null, stored.GetProperty("original_duration_seconds").ValueKind);

        var bad = await Run("entries", "correct", entry, "--duration", "ninety minutes");
        Assert.NotEqual(0, bad.Exit);
        Assert.Contains("--duration must be h:mm or h:mm:ss", bad.Err + bad.Out);
        var tooLong = await Run("entries", "correct", entry, "--duration", "5:00:00");
        Assert.Equal(1, tooLong.Exit);
        Assert.Contains("(validation_failed)", tooLong.Err);
    }

    [Fact]
    public async Task Login_with_a_token_from_stdin_whoami_projects_clients_and_logout() // issue 28
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella", "EUR", 80m), "Vaccine portal", billAgentTime: true);

        var login = await Cli.RunAsync(config, ["login", "--url", server.BaseAddress.ToString(), "--with-token"], stdin: human.Token() + "\n");
        Assert.True(login.Exit == 0, login.Err);
        Assert.Contains("Test User", (await Run("whoami")).Out);
        var projects = await Run("projects");
        Assert.Contains("Vaccine portal", projects.Out);
        Assert.Contains("Umbrella", projects.Out); // the client's name, not its id
        Assert.Contains("80", (await Run("clients")).Out);

        // R26: the agent rate (and Bill agent time) from the terminal, by part of the project's name.
        var set = await Run("projects", "set", "vaccine", "--agent-rate", "40", "--bill-agent-time", "true");
        Assert.True(set.Exit == 0, set.Err);
        Assert.Contains("at 40", set.Out);
        var stored = (await human.GetAsync("/api/v1/projects?q=vaccine")).Expect(HttpStatusCode.OK)["projects"][0];
        Assert.Equal(40m, stored.GetProperty("agent_rate").GetDecimal());
        Assert.Contains("at the rate", (await Run("projects", "set", "vaccine", "--agent-rate", "none")).Out);
        Assert.NotEqual(0, (await Run("projects", "set", "vaccine", "--agent-rate", "forty")).Exit);

        Assert.Equal(0, (await Run("logout")).Exit);
        var after = await Run("projects");
        Assert.Equal(3, after.Exit); // sign in again: its own exit code
        Assert.Contains("(no_token)", after.Err);
    }

    [Fact]
    public async Task Projects_works_for_an_agent_token_with_the_client_names_its_projects_carry() // R22: agents may not list clients
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella"), "Vaccine portal", billAgentTime: true);
        var (_, agent) = await human.CreateAgentAsync();
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", agent.Token())).Exit);

        var projects = await Run("--format", "table", "projects");
        Assert.True(projects.Exit == 0, projects.Err);
        Assert.Contains("Vaccine portal", projects.Out);
        Assert.Contains("Umbrella", projects.Out);
        var piped = await Run("projects", "vaccine");
        Assert.True(piped.Exit == 0, piped.Err);
        Assert.Equal("Umbrella", piped.Out.Split('\t')[1]);
    }

    private string ConfigFile => Path.Combine(config, "hourdini", "config.json");

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(config, args);

    public void Dispose() => Directory.Delete(config, recursive: true);
}
