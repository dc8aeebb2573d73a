using Wallet.Engine.Ledger;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// Encodes client→gateway frames (SOFH + SBE header + body) into caller-provided buffers; nothing allocates.
/// Each method returns the frame length, which always equals the matching <c>…FrameBytes</c> size function.
/// </summary>
internal static class FrameCodec
{
    public const int HeaderBytes = Sofh.HeaderLength + ProtocolSchema.MessageHeaderLength;
    /// <summary>SOFH + SBE header + an 8-byte correlationId block + a group header.</summary>
    public const int BatchOverheadBytes = HeaderBytes + 8 + 4;
    /// <summary>numInGroup is a uint16 whose max value is the null value.</summary>
    public const int MaxGroupCount = 65534;

    public const int AccountEntryBytes = CreateAccountsEncoder.AccountsEncoder.BlockLength;
    public const int TransferEntryBytes = CreateTransfersEncoder.TransfersEncoder.BlockLength;
    public const int IdEntryBytes = LookupAccountsEncoder.IdsEncoder.BlockLength;

    public static int BatchFrameBytes(int count, int entryBytes) => BatchOverheadBytes + count * entryBytes;

    public static int CreateAccounts(Span<byte> frame, ulong correlationId, ReadOnlySpan<Account> accounts)
    {
        var message = CreateAccountsEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
        message.CorrelationId = correlationId;
        var group = message.AccountsCount(accounts.Length);
        foreach (ref readonly Account a in accounts)
        {
            group.Next();
            Id128.Put(group.Id, a.Id);
            Id128.Put(group.UserData128, a.UserData128);
            group.UserData64 = a.UserData64;
            group.UserData32 = a.UserData32;
            group.Ledger = a.Ledger;
            group.Code = a.Code;
            group.Flags = (ushort)a.Flags;
        }
        return Finish(frame, message.Limit);
    }

    public static int CreateTransfers(Span<byte> frame, ulong correlationId, ReadOnlySpan<Transfer> transfers)
    {
        var message = CreateTransfersEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
        message.CorrelationId = correlationId;
        var group = message.TransfersCount(transfers.Length);
        foreach (ref readonly Transfer t in transfers)
        {
            group.Next();
            PutTransfer(ref group, in t);
        }
        return Finish(frame, message.Limit);
    }

    /// <summary>SystemTransfers' root block carries a uint16 partition after the correlationId.</summary>
    public const int SystemTransfersRootExtraBytes = SystemTransfersEncoder.BlockLength - 8;

    public static int SystemTransfersFrameBytes(int count) => BatchFrameBytes(count, TransferEntryBytes) + SystemTransfersRootExtraBytes;

    /// <summary>Step transfers of a peer's saga sequencer for one partition (system role only).</summary>
    public static int SystemTransfers(Span<byte> frame, ulong correlationId, ushort partition, ReadOnlySpan<Transfer> transfers)
    {
        var message = SystemTransfersEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
        message.CorrelationId = correlationId;
        message.Partition = partition;
        var group = message.TransfersCount(transfers.Length);
        foreach (ref readonly Transfer t in transfers)
        {
            group.Next();
            Id128.Put(group.Id, t.Id);
            Id128.Put(group.DebitAccountId, t.DebitAccountId);
            Id128.Put(group.CreditAccountId, t.CreditAccountId);
            group.Amount = t.Amount;
            Id128.Put(group.PendingId, t.PendingId);
            Id128.Put(group.UserData128, t.UserData128);
            group.UserData64 = t.UserData64;
            group.UserData32 = t.UserData32;
            group.TimeoutSeconds = t.TimeoutSeconds;
            group.Ledger = t.Ledger;
            group.Code = t.Code;
            group.Flags = (ushort)t.Flags;
        }
        return Finish(frame, message.Limit);
    }

    /// <summary>SystemCreateAccounts' root block carries a uint16 partition after the correlationId.</summary>
    public const int SystemCreateAccountsRootExtraBytes = SystemCreateAccountsEncoder.BlockLength - 8;

    public static int SystemCreateAccountsFrameBytes(int count) => BatchFrameBytes(count, AccountEntryBytes) + SystemCreateAccountsRootExtraBytes;

    /// <summary>A peer's saga sequencer creating one partition's clearing accounts (system role only).</summary>
    public static int SystemCreateAccounts(Span<byte> frame, ulong correlationId, ushort partition, ReadOnlySpan<Account> accounts)
    {
        var message = SystemCreateAccountsEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
        message.CorrelationId = correlationId;
        message.Partition = partition;
        var group = message.AccountsCount(accounts.Length);
        foreach (ref readonly Account a in accounts)
        {
            group.Next();
            Id128.Put(group.Id, a.Id);
            Id128.Put(group.UserData128, a.UserData128);
            group.UserData64 = a.UserData64;
            group.UserData32 = a.UserData32;
            group.Ledger = a.Ledger;
            group.Code = a.Code;
            group.Flags = (ushort)a.Flags;
        }
        return Finish(frame, message.Limit);
    }

    private static void PutTransfer(ref CreateTransfersEncoder.TransfersEncoder group, in Transfer t)
    {
        Id128.Put(group.Id, t.Id);
        Id128.Put(group.DebitAccountId, t.DebitAccountId);
        Id128.Put(group.CreditAccountId, t.CreditAccountId);
        group.Amount = t.Amount;
        Id128.Put(group.PendingId, t.PendingId);
        Id128.Put(group.UserData128, t.UserData128);
        group.UserData64 = t.UserData64;
        group.UserData32 = t.UserData32;
        group.TimeoutSeconds = t.TimeoutSeconds;
        group.Ledger = t.Ledger;
        group.Code = t.Code;
        group.Flags = (ushort)t.Flags;
    }

    /// <summary>PeerLookupTransfers' root block carries a uint16 partition after the correlationId.</summary>
    public const int PeerLookupTransfersRootExtraBytes = PeerLookupTransfersEncoder.BlockLength - 8;

    /// <summary>A peer gateway's transfer lookup on one partition (peer role only).</summary>
    public static int PeerLookupTransfers(Span<byte> frame, ulong correlationId, ushort partition, ReadOnlySpan<UInt128> ids)
    {
        var m = PeerLookupTransfersEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        m.Partition = partition;
        var g = m.IdsCount(ids.Length);
        foreach (UInt128 id in ids)
        {
            g.Next();
            Id128.Put(g.Id, id);
        }
        return Finish(frame, m.Limit);
    }

    public static int Ids(Span<byte> frame, RequestKind kind, ulong correlationId, ReadOnlySpan<UInt128> ids)
    {
        // The three id-list messages share one layout; the generated encoders are distinct types.
        switch (kind)
        {
            case RequestKind.LookupAccounts:
            {
                var m = LookupAccountsEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
                m.CorrelationId = correlationId;
                var g = m.IdsCount(ids.Length);
                foreach (UInt128 id in ids)
                {
                    g.Next();
                    Id128.Put(g.Id, id);
                }
                return Finish(frame, m.Limit);
            }
            case RequestKind.LookupTransfers:
            {
                var m = LookupTransfersEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
                m.CorrelationId = correlationId;
                var g = m.IdsCount(ids.Length);
                foreach (UInt128 id in ids)
                {
                    g.Next();
                    Id128.Put(g.Id, id);
                }
                return Finish(frame, m.Limit);
            }
            case RequestKind.CloseAccounts:
            {
                var m = CloseAccountsEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
                m.CorrelationId = correlationId;
                var g = m.IdsCount(ids.Length);
                foreach (UInt128 id in ids)
                {
                    g.Next();
                    Id128.Put(g.Id, id);
                }
                return Finish(frame, m.Limit);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an id-list request");
        }
    }

    public static int LogonFrameBytes(string clientId, string credential) =>
        HeaderBytes + LogonEncoder.BlockLength + 2 + System.Text.Encoding.UTF8.GetByteCount(clientId)
        + 2 + System.Text.Encoding.UTF8.GetByteCount(credential);

    public static int Logon(Span<byte> frame, ulong correlationId, uint heartbeatIntervalMs, string clientId, string credential)
    {
        var m = LogonEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        m.HeartbeatIntervalMs = heartbeatIntervalMs;
        m.PutClientId(clientId);
        m.PutCredential(credential);
        return Finish(frame, m.Limit);
    }

    public const int HeartbeatFrameBytes = HeaderBytes + HeartbeatEncoder.BlockLength;

    public static int Heartbeat(Span<byte> frame, long timestampNs)
    {
        var m = HeartbeatEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
        m.TimestampNs = timestampNs;
        return Finish(frame, m.Limit);
    }

    public const int LogoutFrameBytes = HeaderBytes + 2;

    public static int Logout(Span<byte> frame)
    {
        var m = LogoutEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
        m.PutText(ReadOnlySpan<byte>.Empty);
        return Finish(frame, m.Limit);
    }

    internal static int Finish(Span<byte> frame, int limit)
    {
        Sofh.Write(frame, limit);
        return limit;
    }
}
