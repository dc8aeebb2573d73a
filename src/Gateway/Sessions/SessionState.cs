namespace Wallet.Gateway.Sessions;

/// <summary>Lifecycle of a connection. Moves forward only.</summary>
internal enum SessionState
{
    /// <summary>Connected; only Logon is accepted.</summary>
    AwaitingLogon = 0,
    LoggedOn = 1,
    /// <summary>Flushing its last bytes (e.g. a Logout); nothing new is accepted.</summary>
    Closing = 2,
    Closed = 3,
}
