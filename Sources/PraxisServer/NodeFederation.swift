import Foundation
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisStorage

/// A node's federation parts, wired together: the SSRF-hardened client, the request signer, the
/// remote directory, the delivery service, the inbox pipeline and its processor, and the social
/// use cases that publish through them.
public final class NodeFederation: Sendable {
    public let client: HTTPClient
    public let keyring: LocalKeyring
    public let signer: RequestSigner
    public let directory: RemoteDirectory
    public let delivery: DeliveryService
    public let processor: InboxProcessor
    public let pipeline: InboxPipeline
    public let context: FederationContext
    public let social: SocialService
    public let membership: MembershipService
    /// Community document libraries; other nodes' bytes are fetched signed, verified and cached.
    public let documents: DocumentService
    public let policy: TrustPolicy
    public let authenticator: RequestAuthenticator
    /// In-process measurements (inbox and HTTP) that `/metrics` reports.
    public let metrics: NodeMetrics

    /// - Parameter resolver: turns peer host names into addresses (the system resolver when nil);
    ///   whatever it answers is still checked against the node's address policy.
    /// - Throws: `StorageError.invalidValue` for a bad `allowedPrivateNetworks` entry,
    ///   ``HTTPClientError`` when the `extraCAFile` cannot be loaded.
    public init(store: NodeStore, delivery configuration: DeliveryConfiguration, log: @escaping @Sendable (String) -> Void,
                metrics: NodeMetrics = NodeMetrics(), resolver: (any HostResolver)? = nil) throws
    {
        let config = store.configuration
        let urls = NodeURLs(configuration: config)
        var clientConfiguration = HTTPClientConfiguration()
        clientConfiguration.allowInsecureAndPrivate = config.development
        clientConfiguration.addressPolicy = try PeerAddressPolicy.policy(for: config)
        clientConfiguration.extraCAFile = config.extraCAFile
        if let resolver { clientConfiguration.resolver = resolver }
        clientConfiguration.userAgent = "Praxis/\(NodeInfo.softwareVersion) (+\(config.baseURL))"
        clientConfiguration.maxIdleConnectionsPerHost = max(8, configuration.maxInFlightPerLane)
        let client = try HTTPClient(configuration: clientConfiguration)
        let policy = TrustPolicy(mode: config.federation, localDomain: config.domain)
        let keyring = LocalKeyring(store: store, urls: urls)
        let signer = RequestSigner(keyring: keyring)
        let database = store.database
        /// The trust list is read at each decision, so changes made with `praxis trust` while the
        /// node runs take effect at once.
        let trust: @Sendable (String) -> TrustLevel = { domain in
            (try? database.read { db in try policy.level(of: domain, db: db) }) ?? .blocked
        }
        let directory = RemoteDirectory(
            database: database, client: client, signer: signer, localDomain: config.domain, trust: trust)
        signer.learnProfiles { domain in
            switch await directory.signatureProfile(domain: domain) {
            case .rfc9421: .rfc9421
            case .cavage: .cavage
            }
        }
        let delivery = DeliveryService(
            database: database, client: client, signer: signer, configuration: configuration,
            mayDeliver: { domain in trust(domain) != .blocked }, log: log)
        let context = FederationContext(store: store, directory: directory, keyring: keyring, wakeDelivery: { delivery.wake() })
        let processor = InboxProcessor(
            database: database,
            handlers: ([
                FollowHandler(context: context), GroupContentHandler(context: context), AnnounceHandler(context: context),
                InviteHandler(context: context), FlagHandler(context: context), BlockHandler(context: context),
            ] as [any ActivityHandler]).map { MeasuredActivityHandler(inner: $0, histogram: metrics.inboxProcessing) },
            refusal: { domain in
                // A failed read refuses nothing here: the handler reads the same database and is retried.
                guard let level = try? database.read({ db in try policy.level(of: domain, db: db) }), level == .blocked
                else { return nil }
                return "\(domain) has been blocked by this node's trust list since the activity arrived"
            },
            log: log)
        self.client = client
        self.keyring = keyring
        self.signer = signer
        self.directory = directory
        self.delivery = delivery
        self.processor = processor
        self.pipeline = InboxPipeline(store: store, directory: directory, processor: processor)
        self.context = context
        self.social = SocialService(context: context)
        self.membership = MembershipService(context: context)
        self.documents = DocumentService(
            context: context, fetcher: SignedDocumentFetcher(client: client, signer: signer, trust: trust), log: log)
        self.policy = policy
        self.metrics = metrics
        self.authenticator = RequestAuthenticator(directory: directory, authority: config.domain, scheme: config.scheme)
    }

    func start() throws {
        try delivery.start()
        processor.start()
    }

    func stop() async {
        await processor.stop()
        await delivery.stop()
        client.shutdown()
    }
}
