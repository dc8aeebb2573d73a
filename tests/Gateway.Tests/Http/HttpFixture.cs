using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Wallet.Engine.ReadModel;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Http;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tests.Support;

namespace Wallet.Gateway.Tests.Http;

/// <summary>A partition + SBE gateway (GatewayFixture) with the HTTP API and the read model in front, on ephemeral loopback ports.</summary>
internal sealed class HttpFixture : IAsyncDisposable
{
    public const string Admin = "admin:" + GatewayFixture.AdminPassword;
    public const string Alice = "alice:" + GatewayFixture.ClientPassword;

    private HttpFixture(GatewayFixture server, HttpGateway http, ReadModelStore store, ReadModelProjector projector, HttpClient client)
    {
        Server = server;
        Http = http;
        Store = store;
        Projector = projector;
        Client = client;
    }

    public GatewayFixture Server { get; }
    public HttpGateway Http { get; }
    public ReadModelStore Store { get; }
    public ReadModelProjector Projector { get; }
    public HttpClient Client { get; }

    public static async Task<HttpFixture> StartAsync(Func<HttpOptions, HttpOptions>? configure = null, string? dataDirectory = null)
    {
        HttpOptions options = new() { Port = 0, CommandTimeoutMs = 10_000, MaxRequestBodyBytes = 1024 };
        if (configure is not null) options = configure(options);
        HttpGateway? http = null;
        GatewayFixture server = GatewayFixture.Start(wrapResults: sbe =>
        {
            http = new HttpGateway(options, new UserDirectory(GatewayFixture.Users), GatewayFixture.DefaultPartition("unused").Ledger.Catalog);
            return new ResultFanout(sbe, http.Commands);
        }, dataDirectory: dataDirectory);
        var store = ReadModelStore.Open(Path.Combine(server.DataDirectory, ReadModelStore.DirectoryName));
        var projector = new ReadModelProjector(store, server.Partition.EventJournal!);
        projector.Start();
        server.Gateway.View = store;
        http!.View = store;
        http.Projector = projector;
        http.PartitionState = () => server.Partition.State;
        http.AppliedIndex = () => server.Partition.AppliedIndex;
        await http.StartAsync(new SinglePartitionRouter(server.Partition));
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http.LocalEndPoint.Port}"), Timeout = TimeSpan.FromSeconds(30) };
        return new HttpFixture(server, http, store, projector, client);
    }

    public Task<HttpResponseMessage> PostAsync(string path, string json, string? credential = Admin, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (credential is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return Client.SendAsync(request);
    }

    /// <summary>POSTs raw bytes as application/json (bodies a string cannot carry, e.g. invalid UTF-8).</summary>
    public Task<HttpResponseMessage> PostBytesAsync(string path, byte[] body, string? credential = Admin)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (credential is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? credential = Admin)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (credential is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return Client.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        using JsonDocument doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>Asserts a Problem Details answer with this status and our code; returns it.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, int status, string code)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument doc = JsonDocument.Parse(text);
        JsonElement root = doc.RootElement.Clone();
        Assert.Equal(code, root.GetProperty("code").GetString());
        Assert.Equal(status, root.GetProperty("status").GetInt32());
        Assert.Equal(HttpProblem.TypeBase + code, root.GetProperty("type").GetString());
        return root;
    }

    public async Task CreateAccountAsync(string id, string currency = "USD", string flags = "[]")
    {
        HttpResponseMessage r = await PostAsync("/v1/accounts", $$"""{"id":"{{id}}","currency":"{{currency}}","flags":{{flags}}}""");
        Assert.True(r.StatusCode == System.Net.HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Http.DisposeAsync();
        Projector.Dispose();
        Store.Dispose();
        await Server.DisposeAsync();
    }
}
