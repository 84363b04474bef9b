# MlpTools beside another module that carries an earlier MathNet.Numerics (4.15.0, restored from NuGet through
# tools/Pester.proj): a PowerShell session holds one version of an assembly, the first loaded. Each test runs in a
# fresh pwsh, where the order of loading is the user's.
BeforeAll {
    if (-not $env:MLPTOOLS_MODULE_PATH) {
        throw 'MLPTOOLS_MODULE_PATH is not set: run the tests through ./build.ps1 -Task Test or tools/Invoke-Pester.ps1.'
    }
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = $env:MLPTOOLS_MODULE_PATH
    $script:OurVersion = [Reflection.AssemblyName]::GetAssemblyName((Join-Path (Split-Path $ModulePath) 'MathNet.Numerics.dll')).Version

    # The other module: a manifest whose RequiredAssemblies is its own copy of MathNet.Numerics 4.15.0, as a module
    # carrying it ships it, and a function that builds a matrix with whatever MathNet.Numerics the session holds.
    $olderDll = Join-Path (Get-TestPackageFolder -Name MathNet.Numerics) 'lib/netstandard2.0/MathNet.Numerics.dll'
    $script:OlderModule = Join-Path $TestDrive 'OlderMath/OlderMath.psd1'
    $null = New-Item -ItemType Directory -Path (Split-Path $OlderModule)
    Copy-Item -LiteralPath $olderDll -Destination (Split-Path $OlderModule)
    Set-Content -LiteralPath (Join-Path (Split-Path $OlderModule) 'OlderMath.psm1') -Value @'
function Get-OlderMathVersion { [MathNet.Numerics.LinearAlgebra.Matrix[double]]::Build.Dense(2, 2, 1.0).GetType().Assembly.GetName().Version.ToString() }
'@
    Set-Content -LiteralPath $OlderModule -Value @'
@{ ModuleVersion = '1.0.0'; RootModule = 'OlderMath.psm1'; RequiredAssemblies = @('MathNet.Numerics.dll'); FunctionsToExport = @('Get-OlderMathVersion') }
'@
    [Reflection.AssemblyName]::GetAssemblyName($olderDll).Version | Should -BeLessThan $OurVersion

    # A network as a file and as CliXml, made here, for the commands that read one.
    $script:ModelFile = Join-Path $TestDrive 'net.safetensors'
    $script:CliXmlFile = Join-Path $TestDrive 'net.xml'
    $null = Invoke-InFreshPwsh {
        param($model, $clixml)
        $net = New-Mlp -InputSize 4 -HiddenSize 3 -ClassCount 2 -Seed 1
        $net | Export-Mlp -Path $model
        $net | Export-Clixml -LiteralPath $clixml
    } -ArgumentList $ModelFile, $CliXmlFile

    # Every command a user might run first, each reporting how it ended.
    $script:RunCommands = {
        param($model, $clixml)
        $commands = [ordered]@{
            'Import-Dataset | New-Mlp' = { Import-Dataset -Name Digits | New-Mlp -HiddenSize 8 }
            'New-Mlp -InputSize'       = { New-Mlp -InputSize 4 -HiddenSize 3 -ClassCount 2 }
            'New-Mlp -Parameters'      = { New-Mlp -Parameters @{ W1 = @(, @(0.5, 0.5)); b1 = @(0.0, 0.0); W2 = @(@(1.0), @(1.0)); b2 = @(0.0) } }
            'Import-Mlp'               = { Import-Mlp -Path $model }
            'Get-MlpSummary (CliXml)'  = { Get-MlpSummary -Network (Import-Clixml -LiteralPath $clixml) }
            # A parameter PowerShell converts itself: its binding error carries the same message.
            'Invoke-MlpPrediction (CliXml)' = { Invoke-MlpPrediction -Network (Import-Clixml -LiteralPath $clixml) -Features @(, @(1.0, 2.0, 3.0, 4.0)) }
        }
        foreach ($name in $commands.Keys) {
            $Error.Clear()
            try {
                $null = & $commands[$name]
                [pscustomobject]@{ Command = $name; ErrorId = $null; Message = $null; Errors = $Error.Count }
            }
            catch {
                [pscustomobject]@{ Command = $name; ErrorId = $_.FullyQualifiedErrorId; Message = $_.Exception.Message; Errors = $Error.Count }
            }
        }
    }
}

Describe 'MlpTools beside a module that brings MathNet.Numerics 4.15.0' {
    It 'imported after it: every command ends with one error naming both versions and what to do, never a FileLoadException' {
        $result = Invoke-InFreshPwsh -NoModule {
            param($older, $mlp, $model, $clixml, $run)
            Import-Module $older
            Import-Module $mlp
            [pscustomobject]@{ Imported = [bool](Get-Module MlpTools); Older = Get-OlderMathVersion }
            & ([scriptblock]::Create($run)) $model $clixml
        } -ArgumentList $OlderModule, $ModulePath, $ModelFile, $CliXmlFile, $RunCommands.ToString()
        $result.StdErr | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
        $result.Output[0].Imported | Should -BeTrue
        $result.Output[0].Older | Should -Be '4.15.0.0' -Because 'the other module keeps working with its own version'
        $ended = @($result.Output | Select-Object -Skip 1)
        $ended.Count | Should -Be 6
        foreach ($e in $ended) {
            $id = if ($e.Command -like 'Invoke-MlpPrediction*') { 'CannotConvertArgumentNoMessage,*' } else { 'DependencyVersionConflict,MlpTools.Commands.*' }
            $e.ErrorId | Should -BeLike $id -Because "$($e.Command) said: $($e.Message)"
            $e.Errors | Should -Be 1 -Because "$($e.Command) should end with one error"
            $e.Message | Should -Not -Match 'Could not load file or assembly'
            $e.Message | Should -Match 'needs MathNet\.Numerics 5\.0\.0 or later, but MathNet\.Numerics 4\.15\.0 was already loaded'
            $e.Message | Should -Match ([regex]::Escape((Split-Path $OlderModule)))
            $e.Message | Should -Match 'Start a new PowerShell session and import MlpTools before that module'
            $e.Message | Should -Match 'Start-Job -InitializationScript \{ Import-Module MlpTools \}'
        }
    }

    It 'loaded with Add-Type before the first command auto-loads MlpTools: that command ends with the same one error' {
        $modules = Split-Path (Split-Path (Split-Path $ModulePath))
        $result = Invoke-InFreshPwsh -NoModule {
            param($modules, $dll)
            $env:PSModulePath = $modules + [IO.Path]::PathSeparator + $env:PSModulePath
            Add-Type -LiteralPath $dll
            try { Import-Dataset -Name Digits | New-Mlp -HiddenSize 8 } catch { $_.FullyQualifiedErrorId; $_.Exception.Message }
        } -ArgumentList $modules, (Join-Path (Split-Path $OlderModule) 'MathNet.Numerics.dll')
        $result.ExitCode | Should -Be 0
        $result.Output[0] | Should -Be 'DependencyVersionConflict,MlpTools.Commands.ImportDatasetCommand' -Because ($result.Output -join "`n")
        $result.Output[1] | Should -Match 'MathNet\.Numerics 5\.0\.0 or later, but MathNet\.Numerics 4\.15\.0'
    }

    It 'imported before it: MlpTools keeps working with its MathNet.Numerics, and users still build matrices of that version' {
        $result = Invoke-InFreshPwsh {
            param($older)
            # Nothing of MlpTools has run yet: the import alone must hold the session to its version.
            $imported = try { Import-Module $older -ErrorAction Stop; 'imported' } catch { 'refused' }
            $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 8 -Seed 1
            $b = [MathNet.Numerics.LinearAlgebra.Matrix[double]]::Build
            $v = [MathNet.Numerics.LinearAlgebra.Vector[double]]::Build
            $built = New-Mlp -Parameters @{ W1 = $b.Dense(64, 8, 0.1); b1 = $v.Dense(8); W2 = $b.Dense(8, 10, 0.1); b2 = $v.Dense(10) }
            [pscustomobject]@{
                OtherModule    = $imported
                W1IsMatrix     = $net.W1 -is [MathNet.Numerics.LinearAlgebra.Matrix[float]]
                W1Version      = $net.W1.GetType().Assembly.GetName().Version.ToString()
                Product        = ($net.W1.Transpose() * $net.W1).RowCount
                BuiltFromUser  = '{0}-{1}-{2}' -f $built.InputSize, $built.HiddenSize, $built.ClassCount
            }
        } -ArgumentList $OlderModule
        $result.ExitCode | Should -Be 0 -Because $result.StdErr
        $r = $result.Output[0]
        $r.OtherModule | Should -BeIn 'imported', 'refused'
        $r.W1IsMatrix | Should -BeTrue
        $r.W1Version | Should -Be $OurVersion.ToString()
        $r.Product | Should -Be 8
        $r.BuiltFromUser | Should -Be '64-8-10'
    }

    It 'accepts a MathNet.Numerics of its own version already loaded from another file' {
        $copy = Join-Path $TestDrive 'same/MathNet.Numerics.dll'
        $null = New-Item -ItemType Directory -Path (Split-Path $copy) -Force
        Copy-Item -LiteralPath (Join-Path (Split-Path $ModulePath) 'MathNet.Numerics.dll') -Destination $copy
        $result = Invoke-InFreshPwsh -NoModule {
            param($copy, $mlp)
            Add-Type -LiteralPath $copy
            Import-Module $mlp
            $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 8 -Seed 1
            $net.W1.GetType().Assembly.Location
        } -ArgumentList $copy, $ModulePath
        $result.ExitCode | Should -Be 0 -Because $result.StdErr
        $result.Output | Should -Be $copy
    }
}

Describe 'MlpTools beside a module that brings an earlier Google.Protobuf' {
    It 'refuses Export-MlpOnnx alone, naming both versions, and every other command still works' {
        $olderProtobuf = Join-Path (Get-TestPackageFolder -Name Google.Protobuf) 'lib/netstandard2.0/Google.Protobuf.dll'
        $ours = [Reflection.AssemblyName]::GetAssemblyName((Join-Path (Split-Path $ModulePath) 'Google.Protobuf.dll')).Version
        [Reflection.AssemblyName]::GetAssemblyName($olderProtobuf).Version | Should -BeLessThan $ours
        $result = Invoke-InFreshPwsh -NoModule {
            param($module, $dll, $target)
            Add-Type -LiteralPath $dll
            Import-Module $module
            $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 1 -Seed 1
            'trained {0}' -f $net.History.Count
            try { $net | Export-MlpOnnx -Path $target } catch { $_.FullyQualifiedErrorId; $_.Exception.Message }
            'file {0}' -f (Test-Path -LiteralPath $target)
        } -ArgumentList $ModulePath, $olderProtobuf, (Join-Path $TestDrive 'net.onnx')
        $result.ExitCode | Should -Be 0
        $result.Output[0] | Should -Be 'trained 1'
        $result.Output[1] | Should -Be 'DependencyVersionConflict,MlpTools.Commands.ExportMlpOnnxCommand' -Because ($result.Output -join "`n")
        $result.Output[2] | Should -Match '^Export-MlpOnnx cannot run in this session: it needs Google\.Protobuf 3\.36\.2 or later, but Google\.Protobuf 3\.21\.9'
        $result.Output[2] | Should -Match 'other commands of MlpTools are not affected'
        $result.Output[3] | Should -Be 'file False'
    }
}
