using System.Diagnostics.CodeAnalysis;

namespace Wallet.Engine.Journal;

/// <summary>Always-on assertions (TigerBeetle style): a broken invariant stops the process, it is never ignored.</summary>
internal static class Invariant
{
    public static void Assert([DoesNotReturnIf(false)] bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Journal invariant violated: " + message);
        }
    }
}
