namespace Wallet.Replication.Transport;

/// <summary>Receives the messages <see cref="TcpTransport.Drain{THandler}"/> hands over, on the driver's thread.</summary>
public interface IInboundHandler
{
    /// <summary><paramref name="message"/> is valid only during the call.</summary>
    void OnMessage(int fromNode, ReadOnlySpan<byte> message);
}
