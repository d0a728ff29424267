from django.conf import settings


def mutualis(request):
    return {"DEBUG": settings.DEBUG, "SITE_NAME": "Mutualis"}
