using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// Decoding of the gateway's control messages on a logged-on session (Busy, Reject, Logout), shared by the receive
/// loop and the client fuzz target so both run the same checks. Every failure is a <see cref="WalletProtocolException"/>
/// (or, for a var data length that runs past the frame, the slicing's ArgumentOutOfRangeException, which the receive
/// loop turns into one).
/// </summary>
internal static class ControlMessages
{
    public static void ReadBusy(ReadOnlySpan<byte> sbe, out ulong correlationId, out uint retryAfterMs)
    {
        InboundFrame.CheckBlock(sbe, BusyDecoder.BlockLength, "Busy");
        BusyDecoder.TryWrapWithHeader(sbe, 0, out var busy);
        correlationId = busy.CorrelationId;
        retryAfterMs = busy.RetryAfterMs;
    }

    /// <summary>The refusal a Reject carries (its correlation id 0 means the gateway could not read our frame).</summary>
    public static WalletRejectedException ReadReject(ReadOnlySpan<byte> sbe)
    {
        InboundFrame.CheckBlock(sbe, RejectDecoder.BlockLength, "Reject");
        RejectDecoder.TryWrapWithHeader(sbe, 0, out var reject);
        ulong correlationId = reject.CorrelationId;
        RejectReason reason = reject.Reason;
        ushort refTemplate = reject.RefTemplateId;
        string text = reject.GetText();
        return new WalletRejectedException(reason, refTemplate, correlationId, text);
    }

    /// <summary>The error a Logout ends the session with.</summary>
    public static WalletConnectionException ReadLogout(ReadOnlySpan<byte> sbe)
    {
        InboundFrame.CheckBlock(sbe, LogoutDecoder.BlockLength, "Logout");
        LogoutDecoder.TryWrapWithHeader(sbe, 0, out var logout);
        return new WalletConnectionException("gateway logged the session out: " + logout.GetText());
    }
}
