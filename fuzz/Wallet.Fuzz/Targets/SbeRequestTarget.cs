using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Gateway.Codec;
using Wallet.Gateway.Tcp;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Fuzz.Targets;

/// <summary>
/// What the SBE gateway does with a client's bytes before anything reaches a partition: SOFH framing, then
/// <see cref="RequestLayout.Validate"/>, whose contract is "a message that passes can be decoded without reading past
/// its end" (the generated flyweights do not bounds-check). Each frame is copied into an array of exactly its size
/// and every field, group entry and var data of a validated request is read: a read past the end throws, which is a
/// crash. A refusal must carry a text (the client is told why).
/// </summary>
internal static class SbeRequestTarget
{
    private const int MaxFrameBytes = 256 * 1024; // GatewayOptions.MaxFrameBytes default

    public static void Run(ReadOnlySpan<byte> input)
    {
        int offset = 0;
        while (offset < input.Length)
        {
            FrameStatus status = FrameParser.Next(input[offset..], MaxFrameBytes, out int frameLength, out _);
            if (status != FrameStatus.Complete) return; // waits for more bytes, or the session closes: nothing decoded
            if (frameLength < Sofh.HeaderLength || frameLength > input.Length - offset) throw new FuzzFinding("FrameParser: a complete frame outside the buffer");
            byte[] message = input.Slice(offset + Sofh.HeaderLength, frameLength - Sofh.HeaderLength).ToArray();
            RejectReason reason = RequestLayout.Validate(message, out ushort templateId, out int itemCount, out ReadOnlySpan<byte> text);
            if (reason == RejectReason.NULL_VALUE) DecodeAll(templateId, message, itemCount);
            else if (text.IsEmpty) throw new FuzzFinding($"RequestLayout: rejection {reason} without a text");
            offset += frameLength;
        }
    }

    /// <summary>Requests that passed validation and were decoded (the smoke tests check mutants get this far).</summary>
    public static long Decoded { get; private set; }

    /// <summary>Smoke mode: half the mutants get a SOFH header whose length covers the whole input.</summary>
    public static byte[] Repair(byte[] input)
    {
        if (input.Length < Sofh.HeaderLength || (input[^1] & 1) == 0) return input;
        Sofh.Write(input, input.Length);
        return input;
    }

    private static ulong Id(Id128Decoder id) => id.Low ^ id.High;

    /// <summary>Reads everything a validated request holds; the sum keeps the reads from being optimised away.</summary>
    private static void DecodeAll(ushort templateId, byte[] m, int itemCount)
    {
        ulong sum = 0;
        int count = -1;
        switch (templateId)
        {
            case LogonDecoder.TemplateId:
            {
                LogonDecoder d = LogonDecoder.WrapWithHeader(m, 0);
                sum += d.CorrelationId + d.HeartbeatIntervalMs;
                sum += (ulong)d.GetClientIdBytes().Length;
                sum += (ulong)d.GetCredentialBytes().Length;
                if (d.Limit != m.Length) throw new FuzzFinding("Logon: decoded length differs from the validated one");
                break;
            }
            case HeartbeatDecoder.TemplateId:
                sum += (ulong)HeartbeatDecoder.WrapWithHeader(m, 0).TimestampNs;
                break;
            case LogoutDecoder.TemplateId:
            {
                LogoutDecoder d = LogoutDecoder.WrapWithHeader(m, 0);
                sum += (ulong)d.GetTextBytes().Length;
                if (d.Limit != m.Length) throw new FuzzFinding("Logout: decoded length differs from the validated one");
                break;
            }
            case CreateAccountsDecoder.TemplateId:
            {
                CreateAccountsDecoder d = CreateAccountsDecoder.WrapWithHeader(m, 0);
                sum += d.CorrelationId;
                var g = d.Accounts();
                count = g.Count;
                while (g.MoveNext()) sum += Id(g.Id) + Id(g.UserData128) + g.UserData64 + g.UserData32 + g.Ledger + g.Code + g.Flags;
                break;
            }
            case SystemCreateAccountsDecoder.TemplateId:
            {
                SystemCreateAccountsDecoder d = SystemCreateAccountsDecoder.WrapWithHeader(m, 0);
                sum += d.CorrelationId + d.Partition;
                var g = d.Accounts();
                count = g.Count;
                while (g.MoveNext()) sum += Id(g.Id) + Id(g.UserData128) + g.UserData64 + g.UserData32 + g.Ledger + g.Code + g.Flags;
                break;
            }
            case CreateTransfersDecoder.TemplateId:
            {
                CreateTransfersDecoder d = CreateTransfersDecoder.WrapWithHeader(m, 0);
                sum += d.CorrelationId;
                var g = d.Transfers();
                count = g.Count;
                while (g.MoveNext())
                {
                    sum += Id(g.Id) + Id(g.DebitAccountId) + Id(g.CreditAccountId) + (ulong)g.Amount + Id(g.PendingId) + Id(g.UserData128)
                        + g.UserData64 + g.UserData32 + g.TimeoutSeconds + g.Ledger + g.Code + g.Flags;
                }
                break;
            }
            case SystemTransfersDecoder.TemplateId:
            {
                SystemTransfersDecoder d = SystemTransfersDecoder.WrapWithHeader(m, 0);
                sum += d.CorrelationId + d.Partition;
                var g = d.Transfers();
                count = g.Count;
                while (g.MoveNext())
                {
                    sum += Id(g.Id) + Id(g.DebitAccountId) + Id(g.CreditAccountId) + (ulong)g.Amount + Id(g.PendingId) + Id(g.UserData128)
                        + g.UserData64 + g.UserData32 + g.TimeoutSeconds + g.Ledger + g.Code + g.Flags;
                }
                break;
            }
            case LookupAccountsDecoder.TemplateId:
            {
                LookupAccountsDecoder d = LookupAccountsDecoder.WrapWithHeader(m, 0);
                sum += d.CorrelationId;
                var g = d.Ids();
                count = g.Count;
                while (g.MoveNext()) sum += Id(g.Id);
                break;
            }
            case LookupTransfersDecoder.TemplateId:
            {
                LookupTransfersDecoder d = LookupTransfersDecoder.WrapWithHeader(m, 0);
                sum += d.CorrelationId;
                var g = d.Ids();
                count = g.Count;
                while (g.MoveNext()) sum += Id(g.Id);
                break;
            }
            case CloseAccountsDecoder.TemplateId:
            {
                CloseAccountsDecoder d = CloseAccountsDecoder.WrapWithHeader(m, 0);
                sum += d.CorrelationId;
                var g = d.Ids();
                count = g.Count;
                while (g.MoveNext()) sum += Id(g.Id);
                break;
            }
            case GetHistoryDecoder.TemplateId:
            {
                GetHistoryDecoder d = GetHistoryDecoder.WrapWithHeader(m, 0);
                sum += d.CorrelationId + Id(d.AccountId) + (ulong)d.FromTimestampNs + (ulong)d.ToTimestampNs + (ulong)d.AfterIndex
                    + d.AfterOrdinal + d.MaxRows + d.NewestFirst;
                break;
            }
            case GetBalanceAtDecoder.TemplateId:
            {
                GetBalanceAtDecoder d = GetBalanceAtDecoder.WrapWithHeader(m, 0);
                sum += d.CorrelationId + Id(d.AccountId) + (ulong)d.AtIndex + (ulong)d.AtTimestampNs;
                break;
            }
            default:
                throw new FuzzFinding($"RequestLayout validated template {templateId}, which is not a request");
        }
        if (count >= 0 && count != itemCount) throw new FuzzFinding($"template {templateId}: group count {count} but validated {itemCount}");
        GC.KeepAlive(sum);
        Decoded++;
    }

    public static IReadOnlyList<byte[]> Seeds()
    {
        var seeds = new List<byte[]>();
        var buffer = new byte[64 * 1024];
        void Add(int length) => seeds.Add(buffer.AsSpan(0, length).ToArray());
        Transfer[] transfers =
        [
            new() { Id = 1, DebitAccountId = 1, CreditAccountId = 2, Amount = 12_345, Ledger = 1, Code = 1 },
            new() { Id = 2, DebitAccountId = 2, CreditAccountId = 1, Amount = 1, Ledger = 1, Code = 1, Flags = TransferFlags.Pending, TimeoutSeconds = 30 },
            new() { Id = 3, PendingId = 2, Ledger = 1, Code = 1, Flags = TransferFlags.PostPendingTransfer },
        ];
        Account[] accounts =
        [
            new() { Id = 1, Ledger = 1, Code = 1 },
            new() { Id = (UInt128)ulong.MaxValue + 7, Ledger = 2, Code = 9, Flags = AccountFlags.DebitsMustNotExceedCredits, UserData64 = 42 },
        ];
        Add(FrameCodec.Logon(buffer, 1, 1_000, "alice", "correct horse battery staple"));
        Add(FrameCodec.Heartbeat(buffer, 1_700_000_000_000_000_000));
        Add(FrameCodec.Logout(buffer));
        Add(FrameCodec.CreateAccounts(buffer, 2, accounts));
        Add(FrameCodec.CreateTransfers(buffer, 3, transfers));
        Add(FrameCodec.SystemTransfers(buffer, 4, 1, transfers));
        Add(FrameCodec.SystemCreateAccounts(buffer, 5, 1, accounts));
        Add(FrameCodec.Ids(buffer, RequestKind.LookupAccounts, 6, [1, 2, 3]));
        Add(FrameCodec.Ids(buffer, RequestKind.LookupTransfers, 7, [1]));
        Add(FrameCodec.Ids(buffer, RequestKind.CloseAccounts, 8, [2]));
        // Two frames back to back, as a stream carries them.
        int n = FrameCodec.Heartbeat(buffer, 1);
        n += FrameCodec.CreateTransfers(buffer.AsSpan(n), 9, transfers.AsSpan(0, 1));
        Add(n);
        return seeds;
    }
}
