using System.CommandLine;

namespace Hourdini.Cli.Commands;

/// <summary>
/// <c>hourdini completion bash|zsh|fish</c>: a script to source that completes commands, options and their values.
/// Each script asks the program itself through System.CommandLine's <c>[suggest:POSITION]</c> directive, so completions
/// always match the installed version and need no other tool (dotnet-suggest).
/// </summary>
public static class CompletionCommand
{
    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a shell completion script, e.g. source <(hourdini completion bash) in ~/.bashrc.") { shell };
        command.SetAction(parse => Console.Out.Write(Script(parse.GetValue(shell)!)));
        return command;
    }

    public static string Script(string shell) => shell switch
    {
        "bash" => """
            # hourdini completion for bash: add to ~/.bashrc
            #   source <(hourdini completion bash)
            _hourdini_complete() {
                local IFS=$'\n'
                local line="${COMP_LINE:0:COMP_POINT}"
                COMPREPLY=($(hourdini "[suggest:${#line}]" "$line" 2>/dev/null))
            }
            complete -o default -F _hourdini_complete hourdini

            """,
        "zsh" => """
            #compdef hourdini
            # hourdini completion for zsh: add to ~/.zshrc (after compinit)
            #   source <(hourdini completion zsh)
            _hourdini() {
                local line="${BUFFER[1,CURSOR]}"
                local -a suggestions
                suggestions=("${(@f)$(hourdini "[suggest:${#line}]" "$line" 2>/dev/null)}")
                compadd -a suggestions
            }
            compdef _hourdini hourdini

            """,
        _ => """
            # hourdini completion for fish: save as ~/.config/fish/completions/hourdini.fish
            #   hourdini completion fish > ~/.config/fish/completions/hourdini.fish
            function __hourdini_complete
                set -l line (commandline -cp)
                hourdini "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
            end
            complete -c hourdini -f -a '(__hourdini_complete)'

            """,
    };
}
