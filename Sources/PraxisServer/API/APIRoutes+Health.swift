import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisHTTP
import PraxisJSON
import PraxisStorage

/// `GET /api/v1/communities/:name/health` (the community's owner, managers and moderators, and
/// the node's admins and moderators) and `GET /api/v1/health` (the node's admins).
extension APIRoutes {
    func registerHealth(into router: inout Router) {
        let api = self
        router.get("\(Self.prefix)/communities/:name/health", authed { r, c in try await api.communityHealth(r, c) })
        router.get("\(Self.prefix)/health", authed { _, c in try await api.nodeHealth(c) })
    }

    func communityHealth(_ request: HTTPRequest, _ context: Context) async throws -> HTTPResponse {
        let report = try await HealthService(store: store).community(
            request.parameters["name"] ?? "", by: context.authorization)
        return Self.json(Self.healthView(report))
    }

    func nodeHealth(_ context: Context) async throws -> HTTPResponse {
        let report = try await HealthService(store: store).node(by: context.authorization)
        return Self.json(Self.healthView(report))
    }

    static func healthView(_ report: HealthService.Report) -> JSON {
        let figures = report.figures
        func share(_ value: Double?) -> JSON { value.map { .double($0) } ?? .null }
        func questions(_ q: HealthFigures.QuestionFigures) -> JSON {
            [
                "asked": .integer(Int64(q.asked)), "answered": .integer(Int64(q.answered)),
                "accepted": .integer(Int64(q.accepted)), "answeredShare": share(q.answeredShare),
                "medianSecondsToFirstAnswer": q.medianTimeToFirstAnswer.map { .double($0) } ?? .null,
            ]
        }
        return [
            "scope": .string(report.community == nil ? "node" : "community"),
            "community": report.community.map { .string($0) } ?? .null,
            "generatedAt": .string(ISO8601.string(figures.generatedAt)),
            "communities": .integer(Int64(report.communities)),
            "members": .integer(Int64(report.members)),
            "activeMembers": [
                "days7": .integer(Int64(figures.activeMembers7d)), "days30": .integer(Int64(figures.activeMembers30d)),
            ],
            "newThreadsPerWeek": .array(figures.newThreadsPerWeek.map { week -> JSON in
                ["weekStart": .string(ISO8601.string(week.start)), "threads": .integer(Int64(week.count))]
            }),
            "questions": ["days30": questions(figures.questions30d), "days90": questions(figures.questions90d)],
            "documents": ["days30": .integer(Int64(figures.documents30d)), "total": .integer(Int64(figures.documentsTotal))],
            "participation": [
                "posts30d": .integer(Int64(figures.posts30d)),
                "fromOtherNodes30d": .integer(Int64(figures.remotePosts30d)),
                "shareFromOtherNodes": share(figures.remoteShare30d),
            ],
            "trendingTags": .array(figures.trendingTags.map { tag -> JSON in
                ["tag": .string(tag.tag), "count": .integer(Int64(tag.count)), "previous": .integer(Int64(tag.previous))]
            }),
            "trendingThreads": .array(figures.trendingThreads.map { thread -> JSON in
                [
                    "id": .string(thread.id), "title": thread.title.map { .string($0) } ?? .null,
                    "kind": thread.kind.map { .string($0) } ?? .null,
                    "community": thread.community.map { .string($0) } ?? .null,
                    "replies": .integer(Int64(thread.replies)), "likes": .integer(Int64(thread.likes)),
                ]
            }),
        ]
    }
}
