namespace Wallet.Host;

/// <summary>Process exit codes (documented in docs/serve.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The engine stopped abnormally (partition failure, or the drain did not finish in time).</summary>
    public const int Failure = 1;
    /// <summary>Invalid configuration or arguments; the message names the setting.</summary>
    public const int InvalidConfiguration = 2;
    /// <summary>Could not start: endpoint in use, data directory unusable, journal or snapshot corrupt.</summary>
    public const int StartupFailed = 3;
    /// <summary>Client verbs: the engine answered, and the answer was not Ok (a result code, a reject, not found).</summary>
    public const int Rejected = 4;
    /// <summary>Client verbs: could not reach or log on to the engine.</summary>
    public const int Unavailable = 5;
    /// <summary>Audit verbs: a journal record or snapshot failed its checks, or the read model disagrees with a replay.</summary>
    public const int AuditFailed = 6;
}
