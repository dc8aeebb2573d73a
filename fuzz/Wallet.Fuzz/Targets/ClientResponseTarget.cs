using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Codec;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;
using ReadModel = Wallet.Engine.ReadModel;

namespace Wallet.Fuzz.Targets;

/// <summary>
/// What the client SDK does with a gateway's bytes: the input is a byte stream from the server, split into frames by
/// the SDK's own SOFH check (<c>FrameReader.CheckHeader</c>); each frame goes through the receive loop's dispatch
/// (template, correlation id, Busy/Reject/Redirect/Logout decoding) and, for an answer, through <c>Complete</c> of
/// every request kind the SDK could have in flight under that correlation id, plus the logon-answer decoder. The
/// SDK's documented failures (<see cref="WalletProtocolException"/> and the other exceptions the receive loop turns
/// into a dropped connection; ArgumentOutOfRangeException, which the loop wraps) end the stream as the client does;
/// any other exception is a crash. A result handed to a caller must fit the request: one CreateResult per item at
/// its own index, at most the asked-for number of found accounts/transfers with ids the caller asked for (in its
/// order), at most MaxRows history rows, a defined BalanceAt status.
/// </summary>
internal static class ClientResponseTarget
{
    /// <summary>The SDK's default <see cref="WalletClientOptions.MaxReceiveFrameBytes"/>.</summary>
    private const int MaxReceiveFrameBytes = 4 << 20;
    private const int MaxItems = 64;
    private const int RequestTimeoutMs = 60_000;

    /// <summary>Answers some request kind completed successfully with (the tests check mutants get this far).</summary>
    public static long Completed { get; private set; }

    public static void Run(ReadOnlySpan<byte> input)
    {
        int offset = 0;
        while (input.Length - offset >= Sofh.HeaderLength)
        {
            int length;
            try
            {
                length = FrameReaderCheck(input.Slice(offset, Sofh.HeaderLength));
            }
            catch (WalletProtocolException)
            {
                return; // the reader drops the connection
            }
            if (input.Length - offset < length) return; // waits for more bytes
            ReadOnlySpan<byte> sbe = input.Slice(offset + Sofh.HeaderLength, length - Sofh.HeaderLength);
            offset += length;
            if (!Survives(sbe)) return; // the receive loop would drop the connection here
        }
    }

    private static int FrameReaderCheck(ReadOnlySpan<byte> header) => FrameReader.CheckHeader(header, MaxReceiveFrameBytes);

    private static readonly WalletClientOptions Options = new();

    /// <summary>One frame; false when the client would drop the connection on it.</summary>
    private static bool Survives(ReadOnlySpan<byte> sbe)
    {
        // The same bytes as the first frame of a session (the logon answer) and as a frame on a logged-on session.
        bool logonSurvives = RunLogon(sbe);
        return RunLogged(sbe) || logonSurvives;
    }

    private static bool RunLogon(ReadOnlySpan<byte> sbe)
    {
        try
        {
            SessionLimits limits = Connection.ReadLogonAnswer(sbe, Options);
            if (limits.MaxInFlight < 1 || limits.MaxFrameBytes < 1 || limits.MaxBatchSize < 1 || limits.HeartbeatIntervalMs < 1)
            {
                throw new FuzzFinding($"LogonAck accepted with unusable limits {limits}");
            }
            return true;
        }
        catch (Exception e) when (IsDocumented(e))
        {
            return false;
        }
    }

    private static bool RunLogged(ReadOnlySpan<byte> sbe)
    {
        try
        {
            ushort template = InboundFrame.TemplateId(sbe);
            switch (template)
            {
                case CreateResultsDecoder.TemplateId:
                case AccountsFoundDecoder.TemplateId:
                case TransfersFoundDecoder.TemplateId:
                case HistoryPageDecoder.TemplateId:
                case BalanceAtDecoder.TemplateId:
                    return Answer(template, sbe);
                case BusyDecoder.TemplateId:
                    ControlMessages.ReadBusy(sbe, out _, out _);
                    return true;
                case RejectDecoder.TemplateId:
                    return ControlMessages.ReadReject(sbe).CorrelationId != 0;
                case RedirectDecoder.TemplateId:
                {
                    LeaderRedirectException redirect = LeaderRedirectException.FromFrame(sbe);
                    if (redirect.Leader.Port is < 1 or > ushort.MaxValue || string.IsNullOrWhiteSpace(redirect.Leader.Host))
                    {
                        throw new FuzzFinding($"Redirect accepted to an unusable leader {redirect.Leader}");
                    }
                    return false; // the client reconnects to the leader
                }
                case HeartbeatDecoder.TemplateId:
                    return true;
                case LogoutDecoder.TemplateId:
                    throw ControlMessages.ReadLogout(sbe);
                default:
                    throw new WalletProtocolException($"unexpected message template {template} on a logged-on session");
            }
        }
        catch (Exception e) when (IsDocumented(e))
        {
            return false;
        }
    }

    /// <summary>Exceptions that end a connection the documented way (the receive loop wraps ArgumentOutOfRange).</summary>
    private static bool IsDocumented(Exception e) =>
        e is WalletProtocolException or WalletConnectionException or WalletRejectedException or WalletLogonException
            or LeaderRedirectException or LogonBusyException or ArgumentOutOfRangeException;

    /// <summary>
    /// An answer: the same frame completes each kind of request that could be in flight under its correlation id
    /// (a fresh request each, as the client has only one per id). The correlation id picks the request's size (1..64,
    /// larger ids: 64) so seeds can match it.
    /// </summary>
    private static bool Answer(ushort template, ReadOnlySpan<byte> sbe)
    {
        ulong correlationId = InboundFrame.CorrelationId(sbe, "answer");
        int items = correlationId is >= 1 and <= MaxItems ? (int)correlationId : MaxItems;
        bool any = false;
        foreach (bool resubmitted in (ReadOnlySpan<bool>)[false, true])
        {
            any |= Check(new CreateAccountsRequest(Accounts(items), RequestTimeoutMs), template, sbe, resubmitted, items);
            any |= Check(new CreateTransfersRequest(Transfers(items), RequestTimeoutMs), template, sbe, resubmitted, items);
            any |= Check(new SystemTransfersRequest(1, Transfers(items), RequestTimeoutMs), template, sbe, resubmitted, items);
            any |= Check(new SystemCreateAccountsRequest(1, Accounts(items), RequestTimeoutMs), template, sbe, resubmitted, items);
            any |= Check(new CloseAccountsRequest(Ids(items), RequestTimeoutMs), template, sbe, resubmitted, items);
            any |= Coalesced(template, sbe, items);
        }
        any |= Check(new LookupAccountsRequest(Ids(items), RequestTimeoutMs), template, sbe, false, items);
        any |= Check(new LookupTransfersRequest(Ids(items), RequestTimeoutMs), template, sbe, false, items);
        any |= Check(new GetHistoryRequest(1, new HistoryQuery(MaxRows: items), RequestTimeoutMs), template, sbe, false, items);
        any |= Check(new GetBalanceAtRequest(1, 0, 0, RequestTimeoutMs), template, sbe, false, items);
        return any;
    }

    /// <summary>The coalesced single-transfer path decodes into its reused code array (CreateResultsReader.ReadCodes).</summary>
    private static bool Coalesced(ushort template, ReadOnlySpan<byte> sbe, int items)
    {
        if (template != CreateResultsDecoder.TemplateId) return false;
        Span<ResultCode> codes = stackalloc ResultCode[items];
        try
        {
            CreateResultsReader.ReadCodes(sbe, codes);
        }
        catch (Exception e) when (IsDocumented(e))
        {
            return false;
        }
        Completed++;
        return true;
    }

    private static bool Check<T>(PendingRequest<T> request, ushort template, ReadOnlySpan<byte> sbe, bool resubmitted, int items)
    {
        try
        {
            request.Complete(template, sbe, resubmitted);
        }
        catch (Exception e) when (e is WalletProtocolException or ArgumentOutOfRangeException)
        {
            // OnAnswer fails the request with a WalletProtocolException and drops the connection.
            return false;
        }
        if (!request.Task.IsCompletedSuccessfully)
        {
            throw new FuzzFinding($"{request.Kind}: Complete returned without completing the caller (it would wait forever)");
        }
        CheckResult(request.Kind, request.Task.Result, items);
        Completed++;
        return true;
    }

    private static void CheckResult(RequestKind kind, object? result, int items)
    {
        switch (result)
        {
            case CreateResult[] results:
                if (results.Length != items) throw new FuzzFinding($"{kind}: {results.Length} results for {items} items");
                for (int i = 0; i < results.Length; i++)
                {
                    if (results[i].Index != i) throw new FuzzFinding($"{kind}: result {i} carries index {results[i].Index}");
                }
                break;
            case Account[] accounts:
                CheckFound(kind, accounts.Length, i => accounts[i].Id, items);
                break;
            case Transfer[] transfers:
                CheckFound(kind, transfers.Length, i => transfers[i].Id, items);
                break;
            case HistoryPage page:
                if (page.Rows.Length > items) throw new FuzzFinding($"{kind}: {page.Rows.Length} rows for MaxRows {items}");
                break;
            case BalanceAt balance:
                if (!Enum.IsDefined(balance.Status)) throw new FuzzFinding($"{kind}: undefined status {balance.Status}");
                break;
            default:
                throw new FuzzFinding($"{kind}: unexpected result {result}");
        }
    }

    /// <summary>Found records: at most one per id asked (ids 1..items), each an id asked for, in the order asked.</summary>
    private static void CheckFound(RequestKind kind, int count, Func<int, UInt128> id, int items)
    {
        if (count > items) throw new FuzzFinding($"{kind}: {count} found for {items} ids");
        UInt128 previous = 0;
        for (int i = 0; i < count; i++)
        {
            UInt128 value = id(i);
            if (value <= previous || value > (UInt128)items)
            {
                throw new FuzzFinding($"{kind}: found id {value} at position {i}, not one of the ids 1..{items} asked for, in order");
            }
            previous = value;
        }
    }

    private static UInt128[] Ids(int items)
    {
        var ids = new UInt128[items];
        for (int i = 0; i < items; i++) ids[i] = (UInt128)(i + 1);
        return ids;
    }

    private static Account[] Accounts(int items)
    {
        var accounts = new Account[items];
        for (int i = 0; i < items; i++)
        {
            accounts[i] = new Account { Id = (UInt128)(i + 1), Ledger = 1, Code = 1, Flags = (i & 1) == 1 ? AccountFlags.Linked : AccountFlags.None };
        }
        return accounts;
    }

    private static Transfer[] Transfers(int items)
    {
        var transfers = new Transfer[items];
        for (int i = 0; i < items; i++)
        {
            transfers[i] = new Transfer
            {
                Id = (UInt128)(i + 1), DebitAccountId = 1, CreditAccountId = 2, Amount = 100, Ledger = 1, Code = 1,
                Flags = (i & 1) == 1 ? TransferFlags.Linked : TransferFlags.None,
            };
        }
        return transfers;
    }

    /// <summary>Smoke mode: half the mutants get a SOFH header whose length covers the whole input.</summary>
    public static byte[] Repair(byte[] input)
    {
        if (input.Length < Sofh.HeaderLength || (input[^1] & 1) == 0) return input;
        Sofh.Write(input, input.Length);
        return input;
    }

    /// <summary>Real gateway responses (the gateway's own ResponseEncoder) for every template the client reads.</summary>
    public static IReadOnlyList<byte[]> Seeds()
    {
        var seeds = new List<byte[]>();
        var buffer = new byte[64 * 1024];
        void Add(int length) => seeds.Add(buffer.AsSpan(0, length).ToArray());

        // CreateResults for a 3-item batch (correlation id = item count): "failures only", then every item.
        Add(ResponseEncoder.Result(buffer, Slot(3, [new CreateResult(1, ResultCode.Exists)]), null));
        Add(ResponseEncoder.Result(buffer, Slot(3, [new CreateResult(0, ResultCode.Ok), new CreateResult(1, ResultCode.Exists), new CreateResult(2, ResultCode.ExceedsCredits)]), null));
        Add(ResponseEncoder.Result(buffer, Slot(2, [new CreateResult(0, ResultCode.MalformedPayload)]), null));

        Account[] accounts = [new() { Id = 1, Ledger = 1, Code = 1, CreditsPosted = 500 }, new() { Id = 3, Ledger = 2, Code = 9, DebitsPending = 7, Flags = AccountFlags.DebitsMustNotExceedCredits }];
        Add(ResponseEncoder.Result(buffer, Payload(QueryKind.LookupAccounts, 4, Bytes(accounts)), null));
        Transfer[] transfers = [new() { Id = 2, DebitAccountId = 1, CreditAccountId = 3, Amount = 12_345, Ledger = 1, Code = 1 }];
        Add(ResponseEncoder.Result(buffer, Payload(QueryKind.LookupTransfers, 3, Bytes(transfers)), null));

        var rows = new ReadModel.HistoryRow[]
        {
            new() { Kind = LedgerEventKind.AccountCreated, Side = ReadModel.HistorySide.Account, Index = 1, CommandTimestamp = 10, EventTimestamp = 10 },
            new() { Kind = LedgerEventKind.TransferPosted, Side = ReadModel.HistorySide.Debit, Index = 2, Ordinal = 1, TransferId = 9, CounterpartyId = 3, Amount = 250, CommandTimestamp = 20, EventTimestamp = 20, After = new AccountBalances { DebitsPosted = 250 } },
        };
        Add(ResponseEncoder.HistoryPage(buffer, 5, new ReadModel.HistoryPage(rows, "next", new ReadModel.ViewPosition(2, 20, 0, 2))));
        Add(ResponseEncoder.BalanceAt(buffer, 1, new ReadModel.BalanceAt(ReadModel.BalanceAtStatus.Found, new AccountBalances { CreditsPosted = 900 }, 2, 20, new ReadModel.ViewPosition(3, 30, 0, 3))));
        Add(ResponseEncoder.Reject(buffer, 6, RejectReason.NotRunning, GetHistoryDecoder.TemplateId, "no read model"u8));
        Add(ResponseEncoder.Reject(buffer, 0, RejectReason.MalformedFrame, 0, "bad frame"u8));
        Add(ResponseEncoder.Busy(buffer, 7, 5));
        Add(ResponseEncoder.Redirect(buffer, 8, "127.0.0.1", 9100, 3));
        Add(ResponseEncoder.LogonAck(buffer, 1, 42, 1_000, 64, 256 * 1024, 1_000));
        Add(ResponseEncoder.LogonReject(buffer, 1, RejectReason.BadCredentials, "bad credential"u8));
        Add(ResponseEncoder.Heartbeat(buffer, 1_700_000_000_000_000_000));
        Add(ResponseEncoder.Logout(buffer, "bye"u8));
        // A stream: heartbeat, Busy, then the answer, as the socket carries them.
        int n = ResponseEncoder.Heartbeat(buffer, 1);
        n += ResponseEncoder.Busy(buffer.AsSpan(n), 2, 1);
        n += ResponseEncoder.Result(buffer.AsSpan(n), Slot(2, [new CreateResult(1, ResultCode.Exists)]), null);
        Add(n);
        return seeds;
    }

    private static ResultSlot Slot(long correlationId, CreateResult[] results) => new()
    {
        Kind = 0, CorrelationId = correlationId, Index = 7, Timestamp = 1_000, ResultCount = results.Length, Results = results, Payload = [],
    };

    private static ResultSlot Payload(ushort kind, long correlationId, byte[] payload) => new()
    {
        Kind = kind, CorrelationId = correlationId, Index = 7, Results = [], Payload = payload, PayloadLength = payload.Length,
    };

    private static byte[] Bytes<T>(T[] records) where T : struct =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(records.AsSpan()).ToArray();
}
