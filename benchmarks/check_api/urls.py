"""The site's URLs with the two baselines of the benchmark beside them."""

from django.urls import path

from benchmarks.check_api import baselines
from config.urls import urlpatterns as site

urlpatterns = [
    path("bench/bare", baselines.bare),
    path("bench/naive", baselines.NaiveCheck.as_view()),
    *site,
]
