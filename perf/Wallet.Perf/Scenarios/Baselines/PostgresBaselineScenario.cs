using Npgsql;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>
/// PostgreSQL as the baseline a user would otherwise pick: a throw-away cluster started by the harness on 127.0.0.1,
/// the e2e workload (same account count, distribution and seed) run through <see cref="BaselineLoad"/>, once with
/// <c>synchronous_commit = on</c> (a commit waits for its WAL fsync: durable on acknowledgement, like our fsync batch)
/// and once with it off (acknowledged before the WAL is flushed: up to ~3 × wal_writer_delay of transfers can be lost
/// in a crash, like our fsync none). The cluster is stopped and deleted at the end, also on failure.
/// </summary>
internal sealed class PostgresBaselineScenario : IScenario
{
    public string Name => "baseline-postgres";

    public string Description => "PostgreSQL baseline (started here, on 127.0.0.1): e2e workload, synchronous_commit on and off";

    public IReadOnlyList<OptionSpec> ExtraOptions => BaselineSettings.Options;

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        BaselineSettings settings = BaselineSettings.Parse(options);
        var result = new ScenarioResult(Name);
        using PostgresInstance pg = PostgresInstance.Start(log);
        string connectionString = pg.ConnectionString(BaselineSettings.MaxConnections + 2);
        try
        {
            log.WriteLine($"[{Name}] creating the schema and {settings.Accounts:N0} accounts");
            PostgresSchema.Create(connectionString, settings.Accounts);
            var load = new BaselineLoad(settings, options, result, log, firstTransferId: 1);
            foreach (bool synchronous in (bool[])[true, false])
            {
                string mode = synchronous ? "sync commit on" : "sync commit off";
                var connections = new List<IBaselineConnection>();
                try
                {
                    for (int i = 0; i < settings.Connections; i++) connections.Add(PostgresConnection.Open(connectionString, synchronous));
                    load.CheckIdempotentRepeat(connections[0], mode);
                    load.Run(mode, connections);
                }
                finally
                {
                    foreach (IBaselineConnection c in connections) c.Dispose();
                }
            }
            (long sum, long accounts, long transfers, string version) = PostgresSchema.Totals(connectionString);
            long expected = settings.Accounts * BaselineLoad.InitialBalanceMinor;
            if (sum != expected || accounts != settings.Accounts)
                throw new BaselineException($"conservation check failed: {accounts} accounts summing to {sum}, expected {settings.Accounts} summing to {expected}");
            result.Note($"{version}; fsync on, shared_buffers 256MB, one server process per connection; {settings.Connections} connections, one load thread each; {settings.Accounts:N0} accounts; {Environment.ProcessorCount} cores shared by client and server");
            result.Note($"a transfer = SELECT wallet_transfer(...) in autocommit: one transaction, one round trip (insert transfer row with ON CONFLICT = idempotency, lock both rows in id order, debit with balance check, credit); {transfers:N0} transfer rows, balances sum to the initial total (conserved)");
        }
        catch (NpgsqlException e)
        {
            throw new BaselineException($"PostgreSQL error: {e.Message}\nserver log tail:\n{pg.ServerLogTail()}", e);
        }
        return result;
    }
}
