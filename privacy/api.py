"""Data subject requests over REST: `GET /api/v1/customers/{id}/export/` (one zip) and
`POST /api/v1/customers/{id}/erase/`; the retention dry run at
`GET /api/v1/retention/dry-run/`. Supervisors only."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.roles import sees_everything
from omnidesk.errors import PermissionDeniedError
from privacy import selectors, services

REFUSED = {
    403: OpenApiResponse(description="Only supervisors and admins."),
    404: OpenApiResponse(description="No such customer."),
}


class CustomerExportView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="customers_export",
        summary="Everything held about a customer, as one zip archive",
        description=(
            "`customer.json` (identities, attributes, external records, conversations with "
            "messages, private notes, events, CSAT answers) and every stored attachment "
            "under `attachments/<id>/<filename>`. A merged-away customer's id exports the "
            "customer it was merged into. Audited."
        ),
        responses={
            (200, "application/zip"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The archive."
            ),
            **REFUSED,
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        customer = selectors.access_data_subject_request(user=request.user, customer_id=pk)
        archive = services.export_customer(customer=customer, actor=request.user)
        return FileResponse(
            archive,
            as_attachment=True,
            filename=f"customer-{customer.pk}-export.zip",
            content_type="application/zip",
        )


ErasureSerializer = inline_serializer(
    "Erasure",
    {
        "customers": serializers.ListField(child=serializers.IntegerField()),
        "conversations": serializers.IntegerField(),
        "messages": serializers.IntegerField(),
        "attachments": serializers.IntegerField(),
        "identities": serializers.IntegerField(),
    },
)


class CustomerEraseView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="customers_erase",
        summary="Erase a customer's personal data",
        description=(
            "Removes the customer's name, attributes, identities, external records, the "
            "content of every message of their conversations (attachments and their files "
            "too), the raw provider payloads, webhook payloads and survey comments about "
            "them. Conversations and messages keep their rows without content, so reports "
            "count the same. Idempotent; audited with counts only."
        ),
        request=None,
        responses={200: ErasureSerializer, **REFUSED},
        examples=[
            OpenApiExample(
                "Erased",
                value={
                    "customers": [42],
                    "conversations": 3,
                    "messages": 17,
                    "attachments": 2,
                    "identities": 4,
                },
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = selectors.access_data_subject_request(user=request.user, customer_id=pk)
        erasure = services.erase_customer(customer=customer, actor=request.user)
        return Response(erasure.as_dict())


class RetentionDryRunView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="retention_dry_run",
        summary="What the retention policies would anonymise now",
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                examples=[
                    OpenApiExample(
                        "One policy",
                        value={
                            "policies": [
                                {
                                    "policy": 1,
                                    "name": "Email: two years",
                                    "anonymise_after_days": 730,
                                    "conversations": 2,
                                    "conversation_ids": [11, 12],
                                    "messages": 9,
                                    "attachments": 1,
                                    "attachment_bytes": 20480,
                                }
                            ]
                        },
                    )
                ],
            ),
            403: OpenApiResponse(description="Only supervisors and admins."),
        },
    )
    def get(self, request: Request) -> Response:
        if not sees_everything(request.user):
            raise PermissionDeniedError("Only supervisors may see the retention dry run.")
        candidates = services.apply_retention(dry_run=True)
        return Response({"policies": [candidate.as_dict() for candidate in candidates]})
