import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")
    is_staff = True

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Team"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Service"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")
    team = factory.SubFactory(TeamFactory)
    tier = 2


def open_incident(service=None, *, by=None, **kwargs):
    """An incident opened the way the product opens one: through the service layer."""
    from incidents.services import incident_create

    kwargs.setdefault("title", "Elevated error rate")
    return incident_create(service=service or ServiceFactory(), by=by, **kwargs)


def make_integration(kind="alertmanager", service=None, **options):
    """An integration and its secret, created as the product creates them."""
    from incidents.services import integration_create

    issued = integration_create(
        service=service or ServiceFactory(), kind=kind, name=options.pop("name", kind), **options
    )
    return issued.integration, issued.secret
