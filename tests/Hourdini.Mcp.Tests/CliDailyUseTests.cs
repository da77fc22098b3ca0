using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hourdini.Testing;

namespace Hourdini.Mcp.Tests;

/// <summary>
/// The CLI for daily use (issue 28): tables that fit 80 columns and name projects, tab-separated output when piped,
/// paging, manual entries, a session's timeline and log, completion scripts, and errors of one line with their own
/// exit codes (2 usage, 3 sign in, 4 server, 1 refusal).
/// </summary>
public sealed partial class CliDailyUseTests(HourdiniServer server) : IClassFixture<HourdiniServer>, IDisposable
{
    private readonly string config = Directory.CreateTempSubdirectory("hourdini-cli-daily-").FullName;

    [Fact]
    public async Task Entries_add_edit_and_delete_manual_entries_by_project_name_and_the_ids_the_table_shows() // R18
    {
        var (human, _, _) = await SignInAsync();
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella"), "Vaccine portal");

        var added = await Run("entries", "add", "vaccine", "--start", "2026-11-03 09:00", "--duration", "1:30", "-d", "Backfill", "--tag", "design");
        Assert.True(added.Exit == 0, added.Err);
        var id = Assert.Single(Rows(added.Out))[0]; // piped: the whole id, first
        var stored = (await human.GetAsync($"/api/v1/time-entries/{id}")).Expect(HttpStatusCode.OK)["time_entry"];
        Assert.Equal(project, stored.Str("project_id"));
        Assert.Equal(5400, stored.Long("duration_seconds"));
        Assert.Equal("design", stored.GetProperty("tags")[0].GetString());

        // The table shows an id's last 8 characters; edit and delete take it as shown.
        var table = await Run("--format", "table", "entries");
        Assert.Contains(id[^8..], table.Out);
        Assert.DoesNotContain(id, table.Out);
        var edited = await Run("entries", "edit", id[^8..], "--duration", "2:00", "-d", "Backfill, longer");
        Assert.True(edited.Exit == 0, edited.Err);
        Assert.Equal(7200, (await human.GetAsync($"/api/v1/time-entries/{id}")).Expect(HttpStatusCode.OK)["time_entry"].Long("duration_seconds"));

        var deleted = await Run("entries", "delete", id[^8..]);
        Assert.True(deleted.Exit == 0, deleted.Err);
        (await human.GetAsync($"/api/v1/time-entries/{id}")).Expect(HttpStatusCode.NotFound);
        var unknown = await Run("entries", "delete", id[^8..]);
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("(not_found)", unknown.Err);
    }

    [Fact]
    public async Task A_time_alone_for_end_is_on_the_starts_day_and_one_before_the_start_is_a_usage_error()
    {
        var (human, _, _) = await SignInAsync();
        await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella"), "Vaccine portal");

        var added = await Run("entries", "add", "vaccine", "--start", "2020-03-05 09:00", "--end", "10:30");
        Assert.True(added.Exit == 0, added.Err);
        var id = Assert.Single(Rows(added.Out))[0];
        var stored = (await human.GetAsync($"/api/v1/time-entries/{id}")).Expect(HttpStatusCode.OK)["time_entry"];
        Assert.Equal(5400, stored.Long("duration_seconds")); // 09:00 to 10:30 that day, not to 10:30 today

        var before = await Run("entries", "add", "vaccine", "--start", "2020-03-05 11:00", "--end", "10:00");
        Assert.Equal(2, before.Exit);
        Assert.Contains("--end 10:00 is not after --start 2020-03-05 11:00", Assert.Single(before.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Single((await human.GetAsync("/api/v1/time-entries")).Expect(HttpStatusCode.OK)["time_entries"].EnumerateArray());

        // On edit without --start, a time alone is on the entry's own day.
        var edited = await Run("entries", "edit", id, "--end", "11:00");
        Assert.True(edited.Exit == 0, edited.Err);
        Assert.Equal(7200, (await human.GetAsync($"/api/v1/time-entries/{id}")).Expect(HttpStatusCode.OK)["time_entry"].Long("duration_seconds"));
    }

    [Fact]
    public async Task Entries_to_a_date_alone_includes_that_day_as_report_and_invoice_read_it()
    {
        var (human, _, _) = await SignInAsync();
        await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella"), "Vaccine portal");
        foreach (var start in new[] { "2020-11-29 09:00", "2020-11-30 17:00", "2020-12-01 09:00" })
        {
            var added = await Run("entries", "add", "vaccine", "--start", start, "--duration", "1:00");
            Assert.True(added.Exit == 0, added.Err);
        }

        // November through its last day: the entry on the 30th is in, the one on December 1st is not.
        var november = await Run("entries", "--from", "2020-11-01", "--to", "2020-11-30");
        Assert.True(november.Exit == 0, november.Err);
        Assert.Equal(2, Rows(november.Out).Count);

        // A time keeps its meaning: entries starting before it.
        var beforeFive = await Run("entries", "--from", "2020-11-01", "--to", "2020-11-30 17:00");
        Assert.Single(Rows(beforeFive.Out));

        var bad = await Run("entries", "--to", "end of November");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--to must be a date like 2026-11-30 (that whole day)", bad.Err);
    }

    [Fact]
    public async Task A_refused_edit_or_delete_is_one_line_with_its_code_exit_1_and_no_rule_numbers() // R7, R31
    {
        var (human, _, _) = await SignInAsync();
        var client = await human.CreateClientAsync("Umbrella");
        var project = await human.CreateProjectAsync(client, "Vaccine portal");
        var session = (await human.StartSessionAsync(project, "Portal")).Str("id");
        await Task.Delay(1100);
        var sessionEntry = (await human.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"].Str("id");
        var manual = (await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-10-05T09:00:00Z", duration_seconds = 3600 }))
            .Expect(HttpStatusCode.Created)["time_entry"].Str("id");
        var invoice = (await human.PostAsync("/api/v1/invoices", new { client_id = client, from = "2026-10-01", to = "2026-10-31" }))
            .Expect(HttpStatusCode.Created)["invoice"].Str("id");
        (await human.PostAsync($"/api/v1/invoices/{invoice}/issue")).Expect(HttpStatusCode.OK);

        foreach (var (args, code) in new[]
        {
            (new[] { "entries", "edit", sessionEntry, "--start", "2026-10-05 08:00" }, "entry_locked"), // R7: a session's times are its own
            (new[] { "entries", "delete", sessionEntry }, "entry_locked"),
            (new[] { "entries", "edit", manual, "-d", "Renamed" }, "entry_invoiced"), // R31: an issued invoice's entries are fixed
            (new[] { "entries", "delete", manual }, "entry_invoiced"),
        })
        {
            var refused = await Run(args);
            Assert.Equal(1, refused.Exit);
            var line = Assert.Single(refused.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error ({code}): ", line);
            Assert.DoesNotMatch(RuleNumber(), line); // the code is for machines; people read what happened and what to do
            Assert.Empty(refused.Out);
        }
    }

    [Fact]
    public async Task An_id_ending_that_two_entries_share_is_refused_as_ambiguous_and_changes_neither()
    {
        var (human, _, _) = await SignInAsync();
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella"), "Vaccine portal");
        var ids = new List<string>();
        foreach (var day in new[] { "2026-10-01", "2026-10-02" })
        {
            ids.Add((await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = $"{day}T09:00:00Z", duration_seconds = 600 }))
                .Expect(HttpStatusCode.Created)["time_entry"].Str("id"));
        }

        // The server never makes two ids that end alike, so the database is given two.
        string[] shared = ["019a0000-0000-7000-8000-00000000beef", "019a0000-0000-7000-9000-00000000beef"];
        await using (var db = await server.OpenDatabaseAsync())
        {
            for (var i = 0; i < 2; i++)
            {
                await using var rename = new Npgsql.NpgsqlCommand("UPDATE time_entries SET id = $1::uuid WHERE id = $2::uuid", db)
                {
                    Parameters = { new() { Value = shared[i] }, new() { Value = ids[i] } },
                };
                Assert.Equal(1, await rename.ExecuteNonQueryAsync());
            }
        }

        var refused = await Run("entries", "delete", "0000beef");
        Assert.Equal(1, refused.Exit);
        Assert.StartsWith("error (ambiguous_id): ", Assert.Single(refused.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        var edit = await Run("entries", "edit", "0000beef", "-d", "Renamed");
        Assert.Equal(1, edit.Exit);
        Assert.Contains("(ambiguous_id)", edit.Err);
        foreach (var id in shared)
        {
            Assert.NotEqual("Renamed", (await human.GetAsync($"/api/v1/time-entries/{id}")).Expect(HttpStatusCode.OK)["time_entry"].Str("description"));
        }

        var whole = await Run("entries", "delete", shared[0]); // the whole id still works
        Assert.True(whole.Exit == 0, whole.Err);
    }

    [Fact]
    public async Task Entries_page_with_cursor_and_all_and_the_table_says_how_to_get_the_next_page()
    {
        var (human, _, _) = await SignInAsync();
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella"), "Vaccine portal");
        for (var day = 1; day <= 5; day++)
        {
            (await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = $"2026-10-0{day}T09:00:00Z", duration_seconds = 600 }))
                .Expect(HttpStatusCode.Created);
        }

        var first = await Run("entries", "--limit", "2");
        var cursor = NextCursor().Match(first.Err).Groups[1].Value; // piped: the hint goes to stderr, the data alone to stdout
        Assert.NotEmpty(cursor);
        var second = await Run("entries", "--limit", "2", "--cursor", cursor);
        Assert.True(second.Exit == 0, second.Err);
        var pages = Rows(first.Out).Concat(Rows(second.Out)).Select(r => r[0]).ToList();
        Assert.Equal(4, pages.Distinct().Count());
        Assert.Contains("--cursor", (await Run("--format", "table", "entries", "--limit", "2")).Out);

        var all = await Run("entries", "--all", "--limit", "2");
        Assert.Equal(5, Rows(all.Out).Count);
        Assert.DoesNotContain("--cursor", all.Err);
        var json = JsonDocument.Parse((await Run("--json", "entries", "--all", "--limit", "2")).Out).RootElement;
        Assert.Equal(5, json.GetProperty("time_entries").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("next_cursor").ValueKind);
    }

    [Fact]
    public async Task Tables_fit_80_columns_and_name_projects_and_piped_output_is_tab_separated_without_a_header()
    {
        var (human, _, _) = await SignInAsync();
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella Corporation International"), "Vaccine portal for the whole northern hemisphere");
        var description = "Migrating the appointment booking flow to the new identity provider, with a long tail of edge cases";
        (await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-10-05T09:00:00Z", duration_seconds = 5400, description }))
            .Expect(HttpStatusCode.Created);
        var session = (await human.StartSessionAsync(project, description)).Str("id");

        foreach (var args in new string[][] { ["entries"], ["session", "list"], ["projects"], ["session", "show", session] })
        {
            var table = await Run(["--format", "table", .. args]);
            Assert.True(table.Exit == 0, table.Err);
            Assert.All(table.Out.Split('\n'), line => Assert.True(line.Length <= 80, $"{string.Join(' ', args)}: {line.Length} columns: {line}"));
            Assert.DoesNotContain(project, table.Out); // the project by name, not by id
            Assert.Contains("Vaccine p", table.Out); // the name, clipped if it must be
        }

        Assert.Contains("Umbrella Corporation International", (await Run("--format", "table", "clients")).Out);

        var entries = await Run("--format", "table", "entries");
        Assert.Contains("Description", entries.Out); // a header for people
        Assert.Contains("…", entries.Out); // the long description gives way, the columns stay whole
        Assert.Contains("1:30:00", entries.Out);

        var piped = await Run("entries");
        var row = Assert.Single(Rows(piped.Out)); // no header
        Assert.Equal(36, row[0].Length); // the whole id
        Assert.Contains("Vaccine portal for the whole northern hemisphere", row);
        Assert.Contains(description, row); // nothing cut
        Assert.Contains("5400", row); // seconds, for scripts
        Assert.Contains("2026-10-05T09:00:00", piped.Out);
    }

    [Fact]
    public async Task Session_log_writes_to_the_timeline_and_session_show_shows_totals_beats_and_logs() // R13
    {
        var (human, _, _) = await SignInAsync();
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Globex"), "Relaunch");
        var session = (await human.StartSessionAsync(project, "Blog migration")).Str("id");

        var logged = await Run("session", "log", session[^8..], "Moved 12 posts");
        Assert.True(logged.Exit == 0, logged.Err);
        Assert.Equal(0, (await Run("session", "beat", session, "idle")).Exit);
        var timeline = (await human.GetAsync($"/api/v1/sessions/{session}/timeline")).Expect(HttpStatusCode.OK)["events"].EnumerateArray().ToList();
        Assert.Contains(timeline, e => e.Str("type") == "log" && e.GetProperty("data").Str("message") == "Moved 12 posts");

        var shown = await Run("--format", "table", "session", "show", session[^8..]);
        Assert.True(shown.Exit == 0, shown.Err);
        Assert.Contains("Relaunch: Blog migration", shown.Out);
        Assert.Contains("Moved 12 posts", shown.Out);
        Assert.Contains("idle (was active)", shown.Out);
        Assert.Contains("Hands-on", shown.Out);
        var piped = await Run("session", "show", session);
        Assert.Contains(Rows(piped.Out), r => r[1] == "log" && r[2] == "Moved 12 posts");

        var stopped = await Run("session", "end", session);
        Assert.True(stopped.Exit == 0, stopped.Err);
        var refused = await Run("session", "log", session, "Too late");
        Assert.Equal(1, refused.Exit);
        Assert.StartsWith("error (session_stopped): ", refused.Err);
    }

    [Fact]
    public async Task Starting_a_session_or_replacing_the_timer_says_which_running_timer_it_stopped_into_which_entry()
    {
        var (human, _, _) = await SignInAsync();
        await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella"), "Vaccine portal");

        var timer = await Run("timer", "start", "vaccine", "-d", "Kickoff");
        Assert.True(timer.Exit == 0, timer.Err);
        Assert.DoesNotContain("Stopped", timer.Err + timer.Out); // nothing was running

        var session = await Run("--format", "table", "session", "start", "vaccine", "-d", "Portal");
        Assert.True(session.Exit == 0, session.Err);
        var stopped = (await human.GetAsync("/api/v1/time-entries?source=timer")).Expect(HttpStatusCode.OK)["time_entries"][0].Str("id");
        Assert.Contains($"Stopped the running timer: Vaccine portal 0:00:", session.Out); // in a terminal: beside the table
        Assert.Contains($"(entry {stopped[^8..]}).", session.Out);
        var sessionId = (await human.GetAsync("/api/v1/sessions?status=open")).Expect(HttpStatusCode.OK)["sessions"][0].Str("id");
        Assert.Equal(0, (await Run("session", "end", sessionId)).Exit);

        Assert.Equal(0, (await Run("timer", "start", "vaccine", "-d", "First")).Exit);
        var replaced = await Run("--json", "timer", "start", "vaccine", "-d", "Second", "--replace");
        Assert.True(replaced.Exit == 0, replaced.Err);
        var entry = JsonDocument.Parse(replaced.Out).RootElement.GetProperty("replaced_entry").Str("id"); // standard output stays the API's JSON
        Assert.Contains($"Stopped the running timer: Vaccine portal 0:00:", replaced.Err);
        Assert.Contains($"(entry {entry}).", replaced.Err); // for a script: the whole id, on standard error
    }

    [Fact]
    public async Task A_usage_error_is_one_line_naming_what_is_wrong_with_exit_2_not_the_whole_help()
    {
        foreach (var (args, expected, help) in new[]
        {
            (new[] { "session", "beet" }, "'beet'; did you mean 'beat'?", "hourdini session --help"),
            (new[] { "entries", "--limitt", "3" }, "'--limitt'; did you mean '--limit'?", "hourdini entries --help"),
            (new[] { "session", "beat", "abc", "sideways" }, "'sideways'", "hourdini session beat --help"),
            (new[] { "entries", "add", "portal", "--start", "yesterday-ish", "--duration", "1:00" }, "--start must be", "hourdini entries add --help"),
            (new[] { "entries", "add", "portal", "--start", "09:00" }, "Give either --end or --duration.", "hourdini entries add --help"),
        })
        {
            var wrong = await Run(args);
            Assert.Equal(2, wrong.Exit);
            var line = Assert.Single(wrong.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(expected, line);
            Assert.Contains(help, line);
            Assert.Empty(wrong.Out);
        }

        Assert.Contains("Commands:", (await Run("session")).Out); // a group alone shows its help
    }

    [Fact]
    public async Task A_value_an_option_cannot_take_says_what_it_expects_with_exit_2_not_a_dotnet_type()
    {
        foreach (var (args, expected) in new[]
        {
            (new[] { "entries", "--from", "yesterday" }, "--from must be a date like 2026-11-01"),
            (new[] { "entries", "--limit", "abc" }, "--limit must be a whole number from 1 to 200"),
            (new[] { "session", "list", "--limit", "0" }, "--limit must be a whole number from 1 to 200"),
            (new[] { "invoice", "draft", "--client", "acme", "--from", "2026-10-01", "--to", "2026-10-31", "--tax", "abc" }, "--tax must be a percentage like 19"),
            (new[] { "--url", "notaurl", "whoami" }, "--url 'notaurl' is not an http(s) URL"),
        })
        {
            var wrong = await Run(args);
            Assert.Equal(2, wrong.Exit);
            var line = Assert.Single(wrong.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(expected, line);
            Assert.DoesNotContain("System.", line);
            Assert.Empty(wrong.Out);
        }

        // The same address from the environment is the same mistake, and exits the same way.
        var fromEnvironment = await Cli.RunAsync(config, ["whoami"], stdin: null, new Dictionary<string, string> { ["HOURDINI_URL"] = "notaurl" });
        Assert.Equal(2, fromEnvironment.Exit);
        Assert.Contains("'notaurl' is not an http(s) URL", Assert.Single(fromEnvironment.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task Exit_codes_tell_sign_in_again_from_server_trouble() // 3 and 4
    {
        Assert.Equal(3, (await Run("entries")).Exit);
        var (human, _, _) = await SignInAsync();
        Assert.Equal(0, (await Run("whoami")).Exit);
        var unreachable = await Run("--url", "http://127.0.0.1:9", "whoami");
        Assert.Equal(4, unreachable.Exit);
        Assert.StartsWith("error (server_unreachable): ", unreachable.Err);
        Assert.NotNull(human);
    }

    [Fact]
    public async Task Completion_scripts_for_bash_zsh_and_fish_complete_commands_through_the_program()
    {
        var bash = await Run("completion", "bash");
        Assert.Equal(0, bash.Exit);
        Assert.Contains("complete -o default -F _hourdini_complete hourdini", bash.Out);
        Assert.Contains("compdef _hourdini hourdini", (await Run("completion", "zsh")).Out);
        Assert.Contains("complete -c hourdini", (await Run("completion", "fish")).Out);

        // The bash script, sourced in a real bash with `hourdini` on the PATH, completes a command and a value.
        Assert.Contains("session", await CompleteAsync("hourdini sess"));
        Assert.Equal(["active", "agent"], (await CompleteAsync("hourdini session beat 0190abcd a")).Where(s => !s.StartsWith('-')));
    }

    /// <summary>Runs bash with the completion script sourced and the line typed up to the cursor; what it offers.</summary>
    private async Task<List<string>> CompleteAsync(string line)
    {
        var bin = Directory.CreateDirectory(Path.Combine(config, "bin")).FullName;
        var shim = Path.Combine(bin, "hourdini");
        await File.WriteAllTextAsync(shim, $"#!/bin/sh\nexec '{Cli.Dotnet}' '{Cli.Program}' \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("source <(hourdini completion bash); COMP_LINE=\"$1\"; COMP_POINT=${#1}; _hourdini_complete; printf '%s\\n' \"${COMPREPLY[@]}\"");
        start.ArgumentList.Add("complete");
        start.ArgumentList.Add(line);
        start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["XDG_CONFIG_HOME"] = config;
        using var bashProcess = Process.Start(start)!;
        var output = await bashProcess.StandardOutput.ReadToEndAsync();
        await bashProcess.WaitForExitAsync();
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private async Task<(ApiClient Human, ApiClient Browser, JsonElement Signup)> SignInAsync()
    {
        var signup = await ApiClient.SignUpAsync(server.BaseAddress);
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", signup.Pat.Token())).Exit);
        return signup;
    }

    private static List<string[]> Rows(string tsv) => [.. tsv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split('\t'))];

    [GeneratedRegex(@"\(R\d+\)")]
    private static partial Regex RuleNumber();

    [GeneratedRegex(@"--cursor (\S+)")]
    private static partial Regex NextCursor();

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(config, args);

    public void Dispose() => Directory.Delete(config, recursive: true);
}
