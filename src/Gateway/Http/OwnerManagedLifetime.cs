using Microsoft.Extensions.Hosting;

namespace Wallet.Gateway.Http;

/// <summary>
/// The HTTP host's lifetime when it runs inside <c>wallet serve</c>: no signal handling of its own. The default console
/// lifetime also listens for SIGTERM/SIGINT; a signal during start-up then cancelled the host's start (the process exited
/// with "Hosting failed to start" instead of draining), and after start it stopped Kestrel on its own while the node was
/// still draining. The process's owner handles signals and stops this host in its shutdown order.
/// </summary>
internal sealed class OwnerManagedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
