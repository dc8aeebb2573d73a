using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>The gateway refused a request before it reached the ledger (Reject): nothing was applied.</summary>
public sealed class WalletRejectedException : Exception
{
    public WalletRejectedException(RejectReason reason, ushort refTemplateId, ulong correlationId, string text)
        : base($"request {correlationId} (template {refTemplateId}) rejected: {reason}: {text}")
    {
        Reason = reason;
        RefTemplateId = refTemplateId;
        CorrelationId = correlationId;
        Text = text;
    }

    public WalletRejectedException() : this(RejectReason.Unknown, 0, 0, "") { }
    public WalletRejectedException(string message) : base(message) { Text = message; }
    public WalletRejectedException(string message, Exception inner) : base(message, inner) { Text = message; }

    public RejectReason Reason { get; }
    public ushort RefTemplateId { get; }
    public ulong CorrelationId { get; }
    public string Text { get; } = "";
}
