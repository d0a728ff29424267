"""API permissions. Deny by default: an authenticated user must belong to a collectivité or a vendor.

Object-level tenancy is enforced by selectors (querysets already scoped), so foreign objects are 404.
"""

from rest_framework.permissions import BasePermission


class IsMemberOfACollectivity(BasePermission):
    message = "Vous devez être rattaché à une collectivité pour utiliser cette ressource."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.memberships.exists())


class IsVendorOrMember(BasePermission):
    message = "Cette ressource est réservée aux collectivités et aux fournisseurs inscrits."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.memberships.exists() or user.vendors.exists()))
