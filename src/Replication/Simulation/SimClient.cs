using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;

namespace Wallet.Replication.Simulation;

/// <summary>
/// The client workload: first one CreateAccounts command, then CreateTransfers commands of 1..N transfers with
/// unique ids between random accounts (some to a missing account, some overdrawing a limited account). At most
/// MaxOutstanding commands are in flight; a command is retried with the same bytes (same transfer ids) when it is not
/// acknowledged within the client timeout or when the contacted replica is not the leader, following the leader
/// hint like the real SDK follows Redirect. A command is acknowledged when a leader applies it at the position it
/// proposed it, with the results the leader's ledger produced.
/// </summary>
internal sealed class SimClient
{
    public const uint LedgerCode = 1;
    private const long EpochNs = 1_700_000_000_000_000_000;
    private const int MissingAccountId = 999;

    private readonly SimOptions _options;
    private readonly SimRandom _random;
    private readonly List<SimReplica> _replicas;
    private readonly List<ClientCommand> _outstanding = new();
    private int _guess;
    private ulong _nextTransferId = 1;

    public SimClient(SimOptions options, SimRandom random, List<SimReplica> replicas)
    {
        _options = options;
        _random = random;
        _replicas = replicas;
        _outstanding.Add(ClientCommand.Create(CommandKind.CreateAccounts, MakeAccounts(options.Accounts)));
    }

    public bool AccountsCreated { get; private set; }

    /// <summary>When false (heal phase) no new commands are generated; outstanding ones are finished.</summary>
    public bool Generating { get; set; } = true;

    public bool Idle => _outstanding.Count == 0;

    public int Submitted { get; private set; }
    public int Retries { get; private set; }
    public int Acknowledged { get; private set; }

    /// <summary>Every acknowledged command: (index, results).</summary>
    public List<(long Index, ResultCode[] Results, byte[] Payload, ushort Kind)> Acks { get; } = new();

    public void Step(long nowMs)
    {
        while (Generating && AccountsCreated && _outstanding.Count < _options.MaxOutstanding) _outstanding.Add(MakeTransfers());
        foreach (var command in _outstanding)
        {
            if (command.NextTryMs > nowMs) continue;
            if (command.Attempts > 0) Retries++;
            TrySubmit(command, nowMs);
        }
    }

    /// <summary>A replica applied an entry: if it is a leader and the entry is an outstanding command's proposal, that command is acknowledged.</summary>
    public void OnApplied(SimReplica replica, RaftLogEntry entry, ResultCode[] expected, ReadOnlySpan<CreateResult> results)
    {
        if (replica.Node is not { Role: RaftRole.Leader }) return;
        for (var i = 0; i < _outstanding.Count; i++)
        {
            var c = _outstanding[i];
            if (c.ProposedBy != replica.Id || c.ProposedIndex != entry.Index || c.ProposedTerm != entry.Term) continue;
            var codes = new ResultCode[results.Length];
            for (var k = 0; k < results.Length; k++) codes[k] = results[k].Code;
            if (!codes.AsSpan().SequenceEqual(expected))
                throw new SimFailureException($"ack of index {entry.Index} has results [{string.Join(",", codes)}], the model says [{string.Join(",", expected)}]");
            if (c.Kind == CommandKind.CreateAccounts) AccountsCreated = true;
            Acks.Add((entry.Index, codes, c.Payload, (ushort)c.Kind));
            Acknowledged++;
            _outstanding.RemoveAt(i);
            return;
        }
    }

    private void TrySubmit(ClientCommand command, long nowMs)
    {
        command.NextTryMs = nowMs + 5; // back-off when no leader is found
        for (var hop = 0; hop < _replicas.Count; hop++)
        {
            var replica = _replicas[_guess];
            var node = replica.Node;
            if (node is null)
            {
                _guess = (_guess + 1) % _replicas.Count;
                continue;
            }

            if (node.Role != RaftRole.Leader)
            {
                // Redirect to the leader it names, else try the next replica.
                var hint = node.LeaderId;
                var slot = hint >= 0 ? _replicas.FindIndex(r => r.Id == hint) : -1;
                _guess = slot >= 0 && slot != _guess ? slot : (_guess + 1) % _replicas.Count;
                continue;
            }

            var items = command.Kind == CommandKind.CreateAccounts ? command.Payload.Length / Account.SizeBytes : command.Payload.Length / Transfer.SizeBytes;
            var timestamp = Math.Max(EpochNs + nowMs * 1_000_000, replica.Log.LastTimestampNs) + items + 1;
            var index = node.Propose((ushort)command.Kind, timestamp, command.Payload);
            if (index < 0) continue;
            Submitted++;
            command.Attempts++;
            command.ProposedBy = replica.Id;
            command.ProposedIndex = index;
            command.ProposedTerm = node.Term;
            command.NextTryMs = nowMs + _options.ClientTimeoutMs;
            return;
        }
    }

    private static byte[] MakeAccounts(int count)
    {
        var accounts = new Account[count];
        for (var i = 0; i < count; i++)
        {
            accounts[i] = new Account
            {
                Id = (UInt128)(ulong)(i + 1),
                Ledger = LedgerCode,
                Code = 1,
                // Account 1 may not go below zero: transfers from it are accepted or refused depending on order.
                Flags = i == 0 ? AccountFlags.DebitsMustNotExceedCredits : AccountFlags.None,
            };
        }

        return MemoryMarshal.AsBytes(accounts.AsSpan()).ToArray();
    }

    private ClientCommand MakeTransfers()
    {
        var n = _random.NextInt(1, _options.MaxTransfersPerCommand + 1);
        var transfers = new Transfer[n];
        for (var i = 0; i < n; i++)
        {
            var debit = _random.NextInt(1, _options.Accounts + 1);
            var credit = _random.NextInt(1, _options.Accounts);
            if (credit >= debit) credit++;
            if (_random.Chance(30_000)) credit = MissingAccountId;
            transfers[i] = new Transfer
            {
                Id = (UInt128)_nextTransferId++,
                DebitAccountId = (UInt128)(ulong)debit,
                CreditAccountId = (UInt128)(ulong)credit,
                Amount = _random.NextInt(1, 101),
                Ledger = LedgerCode,
                Code = 1,
            };
        }

        return ClientCommand.Create(CommandKind.CreateTransfers, MemoryMarshal.AsBytes(transfers.AsSpan()).ToArray());
    }

    private sealed class ClientCommand
    {
        public CommandKind Kind { get; private init; }
        public byte[] Payload { get; private init; } = [];
        public int Attempts { get; set; }
        public long NextTryMs { get; set; }
        public int ProposedBy { get; set; } = -1;
        public long ProposedIndex { get; set; } = -1;
        public long ProposedTerm { get; set; } = -1;

        public static ClientCommand Create(CommandKind kind, byte[] payload) => new() { Kind = kind, Payload = payload };
    }
}
