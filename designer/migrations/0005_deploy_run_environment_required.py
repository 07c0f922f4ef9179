import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Its own migration (transaction): PostgreSQL refuses to ALTER a table with the pending FK checks of 0004's
    data migration."""

    dependencies = [
        ('designer', '0004_environments'),
    ]

    operations = [
        migrations.AlterField(
            model_name='deployrun',
            name='environment',
            field=models.ForeignKey(help_text='Where the run deployed.', on_delete=django.db.models.deletion.PROTECT, related_name='runs', to='designer.environment'),
        ),
    ]
