using StackExchange.Redis;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>
/// Redis as the baseline: a throw-away redis-server started by the harness on 127.0.0.1, run twice — persistence off
/// (nothing survives a restart: comparable to our fsync none without the journal), then AOF with appendfsync everysec
/// (up to about one second of acknowledged transfers lost in a crash). The transfer is one EVALSHA of a Lua
/// check-and-move script (<see cref="RedisConnection.Script"/>); the workload is e2e's (accounts, distribution, seed).
/// </summary>
internal sealed class RedisBaselineScenario : IScenario
{
    private const int LoadChunk = 1000;

    public string Name => "baseline-redis";

    public string Description => "Redis baseline (started here, on 127.0.0.1): e2e workload as a Lua check-and-move, persistence off and AOF everysec";

    public IReadOnlyList<OptionSpec> ExtraOptions => BaselineSettings.Options;

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        BaselineSettings settings = BaselineSettings.Parse(options);
        var result = new ScenarioResult(Name);
        string version = RedisInstance.Version(log);
        long lastTransferId = 0;
        foreach (bool appendOnly in (bool[])[false, true])
        {
            string mode = appendOnly ? "AOF everysec" : "persistence off";
            using RedisInstance redis = RedisInstance.Start(appendOnly, log);
            byte[] sha;
            using (ConnectionMultiplexer admin = ConnectionMultiplexer.Connect(RedisConnection.Configuration(redis.Port)))
            {
                log.WriteLine($"[{Name}] loading {settings.Accounts:N0} accounts");
                LoadAccounts(admin.GetDatabase(), settings.Accounts);
                sha = admin.GetServer("127.0.0.1", redis.Port).ScriptLoad(RedisConnection.Script);
            }
            var load = new BaselineLoad(settings, options, result, log, firstTransferId: lastTransferId + 1);
            var connections = new List<IBaselineConnection>();
            try
            {
                for (int i = 0; i < settings.Connections; i++) connections.Add(RedisConnection.Open(redis.Port, sha));
                load.CheckIdempotentRepeat(connections[0], mode);
                load.Run(mode, connections);
            }
            finally
            {
                foreach (IBaselineConnection c in connections) c.Dispose();
            }
            lastTransferId = load.LastTransferId;
            using (ConnectionMultiplexer admin = ConnectionMultiplexer.Connect(RedisConnection.Configuration(redis.Port)))
            {
                long sum = SumBalances(admin.GetDatabase(), settings.Accounts);
                long expected = settings.Accounts * BaselineLoad.InitialBalanceMinor;
                if (sum != expected) throw new BaselineException($"[{mode}] conservation check failed: balances sum to {sum}, expected {expected}");
            }
            if (redis.HasExited) throw new BaselineException("redis-server exited during the run:\n" + redis.Output);
        }
        result.Note($"{version}; single-threaded server, RDB off; {settings.Connections} connections (one multiplexer each), one load thread each, one transfer in flight per connection; {settings.Accounts:N0} accounts; {Environment.ProcessorCount} cores shared by client and server");
        result.Note("a transfer = EVALSHA of a Lua check-and-move (idempotency key per transfer id, balance check, DECRBY + INCRBY); balances sum to the initial total after each mode (conserved)");
        return result;
    }

    private static void LoadAccounts(IDatabase db, int accounts)
    {
        var chunk = new List<KeyValuePair<RedisKey, RedisValue>>(LoadChunk);
        for (long id = 1; id <= accounts; id++)
        {
            chunk.Add(new(RedisConnection.AccountKey(id), BaselineLoad.InitialBalanceMinor));
            if (chunk.Count == LoadChunk || id == accounts)
            {
                if (!db.StringSet([.. chunk])) throw new BaselineException("loading accounts failed (MSET)");
                chunk.Clear();
            }
        }
    }

    private static long SumBalances(IDatabase db, int accounts)
    {
        long sum = 0;
        var keys = new List<RedisKey>(LoadChunk);
        for (long id = 1; id <= accounts; id++)
        {
            keys.Add(RedisConnection.AccountKey(id));
            if (keys.Count == LoadChunk || id == accounts)
            {
                foreach (RedisValue v in db.StringGet([.. keys]))
                {
                    if (!v.TryParse(out long balance)) throw new BaselineException("an account balance is missing or not an integer");
                    sum = checked(sum + balance);
                }
                keys.Clear();
            }
        }
        return sum;
    }
}
