using System.CommandLine;
using System.Text;
using Wallet.Gateway.Auth;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet hash-password [--iterations N]</c>: reads a password from standard input (not echoed on a terminal)
/// and prints the salted PBKDF2-SHA256 hash to put in <c>Users[i].PasswordHash</c>.
/// </summary>
internal static class HashPasswordCommand
{
    public static Command Create()
    {
        var iterations = new Option<int>("--iterations")
        {
            Description = $"PBKDF2 iterations ({PasswordHasher.MinIterations}..{PasswordHasher.MaxIterations})",
            DefaultValueFactory = _ => PasswordHasher.DefaultIterations,
        };
        var command = new Command("hash-password", "Hash a password (read from stdin) for the Users section of appsettings.json");
        command.Options.Add(iterations);
        command.SetAction(parse =>
        {
            int n = parse.GetValue(iterations);
            if (n < PasswordHasher.MinIterations || n > PasswordHasher.MaxIterations)
            {
                Console.Error.WriteLine($"--iterations must be {PasswordHasher.MinIterations}..{PasswordHasher.MaxIterations}, got {n}.");
                return ExitCodes.InvalidConfiguration;
            }
            string? password = ReadPassword();
            if (string.IsNullOrEmpty(password))
            {
                Console.Error.WriteLine("No password given on standard input.");
                return ExitCodes.InvalidConfiguration;
            }
            if (Encoding.UTF8.GetByteCount(password) > PasswordHasher.MaxPasswordBytes)
            {
                Console.Error.WriteLine($"Passwords are at most {PasswordHasher.MaxPasswordBytes} bytes (the Logon credential field's limit).");
                return ExitCodes.InvalidConfiguration;
            }
            Console.Out.WriteLine(PasswordHasher.Hash(password, n));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string? ReadPassword()
    {
        if (Console.IsInputRedirected) return Console.In.ReadLine();
        Console.Error.Write("Password: ");
        var sb = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (sb.Length > 0) sb.Length--;
                continue;
            }
            sb.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return sb.ToString();
    }
}
