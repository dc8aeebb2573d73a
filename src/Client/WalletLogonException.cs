using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>The gateway answered Logon with LogonReject: retrying with the same settings will not help.</summary>
public sealed class WalletLogonException : Exception
{
    public WalletLogonException(RejectReason reason, string text)
        : base($"logon rejected: {reason}: {text}")
    {
        Reason = reason;
        Text = text;
    }

    public WalletLogonException() : this(RejectReason.Unknown, "") { }
    public WalletLogonException(string message) : base(message) { Text = message; }
    public WalletLogonException(string message, Exception inner) : base(message, inner) { Text = message; }

    public RejectReason Reason { get; }
    public string Text { get; } = "";
}
