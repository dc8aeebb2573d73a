using System.Globalization;
using StackExchange.Redis;

namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>
/// One StackExchange.Redis connection (its own multiplexer, so its own socket) running transfers as EVALSHA of
/// <see cref="Script"/>. Used by one load thread with synchronous calls: one transfer in flight per connection, as for
/// PostgreSQL.
/// </summary>
internal sealed class RedisConnection : IBaselineConnection
{
    /// <summary>
    /// Check-and-move, atomic because Redis runs a script to completion before any other command. Checks come before
    /// any write (a script error does not undo earlier writes). Lua numbers are doubles: exact for balances below 2^53,
    /// which the benchmark's balances (about 10^12) are; the stored values are changed by DECRBY/INCRBY, exact int64.
    /// KEYS: transfer id key, debit balance key, credit balance key. ARGV: amount, transfer record.
    /// Returns 0 applied, 1 duplicate (idempotent repeat), 2 insufficient funds.
    /// </summary>
    public const string Script = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
        local balance = tonumber(redis.call('GET', KEYS[2]))
        if balance == nil then return redis.error_reply('no debit account') end
        if redis.call('EXISTS', KEYS[3]) == 0 then return redis.error_reply('no credit account') end
        if balance < tonumber(ARGV[1]) then return 2 end
        redis.call('DECRBY', KEYS[2], ARGV[1])
        redis.call('INCRBY', KEYS[3], ARGV[1])
        redis.call('SET', KEYS[1], ARGV[2])
        return 0
        """;

    private readonly ConnectionMultiplexer _multiplexer;
    private readonly IDatabase _db;
    private readonly byte[] _sha;
    private readonly RedisKey[] _keys = new RedisKey[3];
    private readonly RedisValue[] _values = new RedisValue[2];

    private RedisConnection(ConnectionMultiplexer multiplexer, byte[] sha)
    {
        _multiplexer = multiplexer;
        _db = multiplexer.GetDatabase();
        _sha = sha;
        _values[0] = BaselineLoad.AmountMinor;
    }

    public static ConfigurationOptions Configuration(int port) => new()
    {
        EndPoints = { { "127.0.0.1", port } },
        ConnectTimeout = 10_000,
        SyncTimeout = 60_000,
        AsyncTimeout = 60_000,
        AbortOnConnectFail = true,
        ConnectRetry = 3,
    };

    public static RedisConnection Open(int port, byte[] sha) => new(ConnectionMultiplexer.Connect(Configuration(port)), sha);

    public static string AccountKey(long account) => "acct:" + account.ToString(CultureInfo.InvariantCulture);

    public TransferOutcome Transfer(long transferId, long debitAccount, long creditAccount)
    {
        _keys[0] = "tx:" + transferId.ToString(CultureInfo.InvariantCulture);
        _keys[1] = AccountKey(debitAccount);
        _keys[2] = AccountKey(creditAccount);
        _values[1] = string.Create(CultureInfo.InvariantCulture, $"{debitAccount}>{creditAccount}:{BaselineLoad.AmountMinor}");
        RedisResult r = _db.ScriptEvaluate(_sha, _keys, _values);
        return (long)r switch
        {
            0 => TransferOutcome.Applied,
            1 => TransferOutcome.Duplicate,
            2 => TransferOutcome.InsufficientFunds,
            long other => throw new BaselineException($"transfer script returned {other}"),
        };
    }

    public void Dispose() => _multiplexer.Dispose();
}
