namespace Wallet.Gateway.Fix;

/// <summary>MsgType (35) values: the FIX 4.4 session messages and the wallet's user-defined ones ("U" prefix).</summary>
internal static class FixMsgType
{
    public static ReadOnlySpan<byte> Heartbeat => "0"u8;
    public static ReadOnlySpan<byte> TestRequest => "1"u8;
    public static ReadOnlySpan<byte> ResendRequest => "2"u8;
    public static ReadOnlySpan<byte> Reject => "3"u8;
    public static ReadOnlySpan<byte> SequenceReset => "4"u8;
    public static ReadOnlySpan<byte> Logout => "5"u8;
    public static ReadOnlySpan<byte> Logon => "A"u8;
    public static ReadOnlySpan<byte> BusinessMessageReject => "j"u8;

    public static ReadOnlySpan<byte> TransferRequest => "UT"u8;
    public static ReadOnlySpan<byte> TransferReport => "UR"u8;
    public static ReadOnlySpan<byte> CreateAccountRequest => "UA"u8;
    public static ReadOnlySpan<byte> CreateAccountReport => "UB"u8;
    public static ReadOnlySpan<byte> BalanceRequest => "UQ"u8;
    public static ReadOnlySpan<byte> BalanceReport => "UP"u8;
    public static ReadOnlySpan<byte> TransferStatusRequest => "US"u8;

    /// <summary>Admin (session-level) messages are never resent: a resend replaces them with a gap fill.</summary>
    public static bool IsAdmin(ReadOnlySpan<byte> msgType) =>
        msgType.Length == 1 && msgType[0] is (byte)'0' or (byte)'1' or (byte)'2' or (byte)'3' or (byte)'4' or (byte)'5' or (byte)'A';
}
