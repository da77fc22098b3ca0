using System.CommandLine;
using System.Text.Json;

namespace Hourdini.Cli.Commands;

/// <summary><c>hourdini timer start|stop|status</c>.</summary>
public static class TimerCommands
{
    public static Command Create(CommonOptions common)
    {
        var project = new Argument<string>("project") { Description = "The project's id, or part of its name." };
        var description = new Option<string?>("--description", "-d") { Description = "What the time is for." };
        var replace = new Option<bool>("--replace") { Description = "Stop a running timer (into an entry) and start this one." };

        var start = new Command("start", "Start the timer on a project.") { project, description, replace };
        common.Action(start, (parse, api, ct) =>
        {
            var (id, name) = CommonOptions.Project(parse.GetValue(project)!);
            return api.PutAsync("timer", new { project_id = id, project_name = name, description = parse.GetValue(description), replace = parse.GetValue(replace) }, ct);
        }, "replaced_entry", (body, names) =>
        {
            Output.Note("Timer started.");
            Output.Timer(body.GetProperty("timer"), names);
        });

        var stop = new Command("stop", "Stop the running timer; its time becomes an entry.");
        common.Action(stop, (_, api, ct) => api.DeleteAsync("timer", ct), (body, names) =>
        {
            Output.Note("Timer stopped.");
            Output.Entries([body.GetProperty("entry")], names);
        });

        var status = new Command("status", "Show the running timer.");
        common.Action(status, (_, api, ct) => api.GetAsync("timer", ct), (body, names) =>
        {
            if (body.GetProperty("timer").ValueKind == JsonValueKind.Null)
            {
                Output.Note("No timer is running.");
            }
            else
            {
                Output.Timer(body.GetProperty("timer"), names);
            }
        });

        return new Command("timer", "Start, stop or show your timer.") { start, stop, status };
    }
}
