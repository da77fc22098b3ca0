using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Hourdini.Cli.Commands;

/// <summary>
/// Command lines the parser cannot take: one line on standard error that names what is wrong (with a close name
/// when a word was mistyped) and where the help is, and exit code 2, instead of the whole help.
/// </summary>
public static partial class Usage
{
    public const int ExitCode = 2;

    /// <summary>A command that only groups others (<c>hourdini session</c>) shows its help when given alone.</summary>
    public static void HelpForGroups(Command command)
    {
        foreach (var sub in command.Subcommands)
        {
            HelpForGroups(sub);
        }

        if (command.Subcommands.Count > 0 && command.Action is null)
        {
            command.SetAction(parse => new HelpAction().Invoke(parse));
        }
    }

    /// <summary>Runs the command line, unless it has an error: then the one line and exit code 2.</summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Action is not ParseErrorAction)
        {
            return await parse.InvokeAsync();
        }

        var command = string.Join(' ', Path(parse.CommandResult).Select(c => c is RootCommand ? "hourdini" : c.Name));
        await Console.Error.WriteLineAsync($"error: {Problem(parse)} See '{command} --help'.");
        return ExitCode;
    }

    private static string Problem(ParseResult parse)
    {
        if (parse.UnmatchedTokens is [var token, ..])
        {
            var known = Path(parse.CommandResult).SelectMany(c => c.Options.Where(o => o.Recursive || c == parse.CommandResult.Command))
                .SelectMany(o => o.Aliases.Prepend(o.Name))
                .Concat(parse.CommandResult.Command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name)))
                .Distinct()
                .Where(name => Distance(name, token) <= Math.Max(1, token.Length / 3))
                .ToList();
            var what = token.StartsWith('-') ? "option" : parse.CommandResult.Command.Subcommands.Count > 0 ? "command" : "argument";
            return $"Unknown {what} '{token}'" + (known.Count > 0 ? $"; did you mean '{string.Join("' or '", known)}'?" : ".");
        }

        // The parser's own messages are sentences ("Option '--from' expects a single argument…"); the first says enough.
        // A list it puts on lines of their own ("Must be one of:\n\t'active'\n\t'agent'…") goes on the one line.
        var lines = ExpectedType().Replace(parse.Errors[0].Message, m => $"'{m.Groups["value"].Value}' is not a value {m.Groups["name"].Value} takes.")
            .Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var message = lines.Length == 1 ? lines[0] : $"{lines[0]} {string.Join(", ", lines[1..])}";
        return message.EndsWith('.') ? message : message + ".";
    }

    /// <summary>
    /// The parser's message for a value it cannot convert, which names a .NET type ("System.Nullable`1[System.Int32]"):
    /// options give their own messages, and any that does not is named without the type.
    /// </summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for (?:option|argument|command) '(?<name>[^']*)' as expected type '[^']*'\.?")]
    private static partial System.Text.RegularExpressions.Regex ExpectedType();

    private static IEnumerable<Command> Path(CommandResult result)
    {
        var path = new Stack<Command>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
            {
                path.Push(c.Command);
            }
        }

        return path;
    }

    /// <summary>Levenshtein distance, for "did you mean".</summary>
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }
}
