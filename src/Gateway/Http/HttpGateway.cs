using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Metrics;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;

namespace Wallet.Gateway.Http;

/// <summary>
/// The HTTP/JSON API (ASP.NET Core minimal API on Kestrel), hosted by <c>wallet serve</c> next to the SBE gateway.
/// Commands travel the same path as SBE requests (ingress ring → journal → BLP → egress ring) and their results come
/// back through <see cref="CommandChannel"/>; reads are exact (through the BLP) or from the read model. See docs/http.md.
/// </summary>
public sealed class HttpGateway : IAsyncDisposable
{
    private readonly HttpOptions _options;
    private readonly UserDirectory _users;
    private readonly LedgerCatalog _catalog;
    private readonly ILoggerFactory _loggers;
    private WebApplication? _app;
    private IPEndPoint? _endPoint;
    private System.Diagnostics.Metrics.Meter? _nodeMeter;

    public HttpGateway(HttpOptions options, UserDirectory users, LedgerCatalog catalog, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(catalog);
        options.Validate();
        _options = options;
        _users = users;
        _catalog = catalog;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        Commands = new CommandChannel(options.MaxInFlightCommands, TimeSpan.FromMilliseconds(options.CommandTimeoutMs));
    }

    /// <summary>Receives the results of HTTP-submitted commands; combine with the SBE dispatcher via <see cref="ResultFanout"/>.</summary>
    public CommandChannel Commands { get; }

    /// <summary>The read model (history, balance-at, transfer status); null → those endpoints answer 503. Set before <see cref="StartAsync"/>.</summary>
    public ReadModelStore? View { get; set; }
    public ReadModelProjector? Projector { get; set; }
    /// <summary>
    /// A node hosting several partitions: one read model and projector per partition (index = partition). Account reads
    /// go to the account's partition; transfer reads ask each. Null = <see cref="View"/>/<see cref="Projector"/> serve all.
    /// </summary>
    public IReadOnlyList<ReadModelStore?>? Views { get; set; }
    public IReadOnlyList<ReadModelProjector?>? Projectors { get; set; }
    /// <summary>The partition's state (readiness), if known.</summary>
    public Func<PartitionState>? PartitionState { get; set; }
    /// <summary>The BLP's applied index (health output), if known.</summary>
    public Func<long>? AppliedIndex { get; set; }

    /// <summary>Asks the partition for a snapshot at its next batch end (POST /v1/admin/snapshot), if the host allows it.</summary>
    public Action? RequestSnapshot { get; set; }
    /// <summary>Live counters of the node (GET /v1/admin/stat), read on request.</summary>
    public Func<IReadOnlyDictionary<string, long>>? Counters { get; set; }

    public IPEndPoint LocalEndPoint => _endPoint ?? throw new InvalidOperationException("not started");

    public async Task StartAsync(IRequestRouter router, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(router);
        if (_app is not null) throw new InvalidOperationException("already started");
        Commands.Router = router;
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Wallet.Gateway.Http" });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, OwnerManagedLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(_options.BindAddress, _options.Port);
            // Our own limit (JsonBody) answers 413 without reading the body. Kestrel's hard limit sits above it so that it
            // can drain a moderately oversize body after that answer and keep the connection (a body it cannot drain
            // makes it abort the connection, which may race the 413 on the client side); beyond it, the connection goes.
            k.Limits.MaxRequestBodySize = Math.Max(64L * 1024, 4L * _options.MaxRequestBodyBytes);
            k.Limits.MaxConcurrentConnections = _options.MaxConnections;
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            k.Limits.MaxRequestLineSize = 4096;
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(GatewayMetrics.MeterName, GatewayMetrics.NodeMeterName)
            // The runtime's own meter: GC collections by generation and pause time, heap size, thread-pool queue, lock
            // contention — what explains a latency tail the ledger's counters cannot.
            .AddMeter("System.Runtime")
            // Sub-millisecond resolution: the default buckets start at 5 ms.
            .AddView("wallet.commit.latency", new ExplicitBucketHistogramConfiguration
            {
                Boundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
            })
            .AddPrometheusExporter());
        WebApplication app = builder.Build();
        RegisterNodeGauges();
        var api = new WalletEndpoints(_options, new HttpAuthenticator(_users, _options.CredentialCacheSeconds, _options.MaxConcurrentPasswordChecks,
            TimeSpan.FromMilliseconds(_options.CommandTimeoutMs)), Commands, router, new JsonMapping(_catalog), _catalog)
        {
            View = View,
            Projector = Projector,
            Views = Views,
            Projectors = Projectors,
            PartitionState = PartitionState,
            AppliedIndex = AppliedIndex,
            RequestSnapshot = RequestSnapshot,
            Counters = Counters,
        };
        ILogger log = _loggers.CreateLogger("wallet.http");
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex)
            {
                if (context.Response.HasStarted) throw;
                context.Response.Clear();
                await HttpProblem.Of(ex.StatusCode, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? "BodyTooLarge" : "BadRequest", "Bad request", ex.Message)
                    .ExecuteAsync(context).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away: nothing to answer.
            }
#pragma warning disable CA1031 // The last line of defence: an unexpected error answers 500, never kills the process.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                log.LogError(ex, "HTTP {Method} {Path} failed", context.Request.Method, context.Request.Path);
                if (context.Response.HasStarted) return;
                context.Response.Clear();
                await HttpProblem.Of(StatusCodes.Status500InternalServerError, "InternalError", "Internal error", "the request failed; see the server log")
                    .ExecuteAsync(context).ConfigureAwait(false);
            }
        });
        api.Map(app);
        // Prometheus text format; no credentials (bind the API to a trusted interface, as by default loopback).
        app.MapPrometheusScrapingEndpoint("/metrics");
        await app.StartAsync(cancel).ConfigureAwait(false);
        _app = app;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _endPoint = new IPEndPoint(_options.BindAddress, new Uri(address).Port);
    }

    /// <summary>
    /// One observable gauge per host counter (<see cref="Counters"/>: indexes, ingress backlog, journal bytes,
    /// sessions) plus the read model's lag, read at scrape time.
    /// </summary>
    private void RegisterNodeGauges()
    {
        _nodeMeter = new System.Diagnostics.Metrics.Meter(GatewayMetrics.NodeMeterName, "1.0");
        if (Counters is { } counters)
        {
            var labelled = new SortedDictionary<string, List<(string Key, int Partition)>>(StringComparer.Ordinal);
            foreach (string key in counters().Keys)
            {
                if (PartitionLabel.TrySplit(key, out string baseName, out int partition))
                {
                    if (!labelled.TryGetValue(baseName, out List<(string, int)>? keys)) labelled[baseName] = keys = [];
                    keys.Add((key, partition));
                    continue;
                }
                string name = "wallet." + key;
                _nodeMeter.CreateObservableGauge(name, () => counters().TryGetValue(key, out long v) ? v : 0L);
            }
            // One gauge per per-partition counter, one measurement per partition with a "partition" label.
            foreach ((string baseName, List<(string Key, int Partition)> keys) in labelled)
            {
                _nodeMeter.CreateObservableGauge("wallet." + baseName, () =>
                {
                    IReadOnlyDictionary<string, long> now = counters();
                    var measurements = new List<System.Diagnostics.Metrics.Measurement<long>>(keys.Count);
                    foreach ((string key, int partition) in keys)
                    {
                        measurements.Add(new System.Diagnostics.Metrics.Measurement<long>(now.TryGetValue(key, out long v) ? v : 0L,
                            new KeyValuePair<string, object?>("partition", partition)));
                    }
                    return measurements;
                });
            }
        }
        if (Projectors is { Count: > 1 } projectors)
        {
            RegisterProjectorGauges(projectors);
        }
        else if (Projector is { } projector)
        {
            _nodeMeter.CreateObservableGauge("wallet.readmodel.index", () => projector.AppliedIndex);
            _nodeMeter.CreateObservableGauge("wallet.readmodel.lag_records", () => projector.Lag.Events, "{record}", "Event-journal records the read model has not applied");
            _nodeMeter.CreateObservableGauge("wallet.readmodel.behind", () => projector.Lag.BehindMs, "ms", "How long the read model has been behind");
            _nodeMeter.CreateObservableGauge("wallet.readmodel.age", () => projector.Lag.AgeMs, "ms", "How stale the read model is: ledger time of the newest journaled record minus that of the newest applied one");
            _nodeMeter.CreateObservableGauge("wallet.readmodel.faulted", () => projector.State == ProjectorState.Faulted ? 1 : 0);
            _nodeMeter.CreateObservableGauge("wallet.readmodel.event_journal_recheck", () => projector.EventJournalRecheckRequested ? 1 : 0,
                description: "1 once the projector met a damaged event record: restart the node to check and repair the event journal");
        }
        _nodeMeter.CreateObservableGauge("wallet.http.in_flight", () => Commands.InFlight, "{request}");
    }

    /// <summary>The read-model gauges with a "partition" label, one measurement per partition's projector.</summary>
    private void RegisterProjectorGauges(IReadOnlyList<ReadModelProjector?> projectors)
    {
        _nodeMeter!.CreateObservableGauge("wallet.readmodel.index", () => PerPartition(projectors, static p => p.AppliedIndex));
        _nodeMeter.CreateObservableGauge("wallet.readmodel.lag_records", () => PerPartition(projectors, static p => p.Lag.Events), "{record}", "Event-journal records the read model has not applied");
        _nodeMeter.CreateObservableGauge("wallet.readmodel.behind", () => PerPartition(projectors, static p => p.Lag.BehindMs), "ms", "How long the read model has been behind");
        _nodeMeter.CreateObservableGauge("wallet.readmodel.age", () => PerPartition(projectors, static p => p.Lag.AgeMs), "ms", "How stale the read model is: ledger time of the newest journaled record minus that of the newest applied one");
        _nodeMeter.CreateObservableGauge("wallet.readmodel.faulted", () => PerPartition(projectors, static p => p.State == ProjectorState.Faulted ? 1 : 0));
        _nodeMeter.CreateObservableGauge("wallet.readmodel.event_journal_recheck", () => PerPartition(projectors, static p => p.EventJournalRecheckRequested ? 1 : 0),
            description: "1 once the projector met a damaged event record: restart the node to check and repair the event journal");
    }

    private static List<System.Diagnostics.Metrics.Measurement<long>> PerPartition(IReadOnlyList<ReadModelProjector?> projectors, Func<ReadModelProjector, long> value)
    {
        var measurements = new List<System.Diagnostics.Metrics.Measurement<long>>(projectors.Count);
        for (int p = 0; p < projectors.Count; p++)
        {
            if (projectors[p] is { } projector) measurements.Add(new System.Diagnostics.Metrics.Measurement<long>(value(projector), new KeyValuePair<string, object?>("partition", p)));
        }
        return measurements;
    }

    public async Task StopAsync(TimeSpan timeout)
    {
        if (_app is null) return;
        using var cts = new CancellationTokenSource(timeout);
        await _app.StopAsync(cts.Token).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
        _nodeMeter?.Dispose();
    }
}
